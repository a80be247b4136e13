package dev.rootlessjkit.net.usernet;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Arbitrary bytes as IPv6 frames from the guest: the fixed header, extension-header chains, ICMPv6 and Neighbor
 * Discovery must never throw out of the stack's receive path. Most inputs get a valid fixed header (and often a
 * valid ICMPv6 checksum) around fuzzed bytes so that the fuzzer reaches the extension walk and NDP quickly; no host
 * socket can be opened, so nothing leaves the process. hack/fuzz.sh runs fuzzing mode.
 */
class Ipv6FuzzTest {
    private static final byte[][] ADDRESSES = {Ipv6Frames.GUEST, Ipv6Frames.GATEWAY, Ipv6Frames.DNS,
        Ipv6Frames.GATEWAY_LINK_LOCAL, Ipv6Frames.UNSPECIFIED, Ipv6Frames.ALL_NODES, Ipv6Frames.OUTSIDE,
        Ipv6Frames.solicitedNode(Ipv6Frames.GATEWAY)};
    private static final int[] NEXT_HEADERS = {0, 6, 17, 43, 44, 58, 59, 60};
    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();


    @FuzzTest(maxDuration = "2m")
    void frames(FuzzedDataProvider data) {
        UsernetConfig config = TestConfig.defaults().mtu(1500).ipv6().build();
        try (StackHarness h = new StackHarness(stacks.loop(), config, () -> {
            throw new IOException("no ping sockets while fuzzing");
        }, StackFuzzTest.NONE)) {
            h.run(() -> {
                while (data.remainingBytes() > 0) {
                    int mode = data.consumeInt(0, 3);
                    if (mode == 3) {
                        h.timers.advance(Duration.ofSeconds(data.consumeInt(0, 3600)).toNanos());
                        continue;
                    }
                    byte[] frame = frame(mode, data);
                    ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(Math.max(1, frame.length));
                    b.writeBytes(frame);
                    h.stack.receive(b, data.consumeBoolean());
                }
            });
            h.out.clear();
        }
    }

    private static byte[] frame(int mode, FuzzedDataProvider data) {
        byte[] src = ADDRESSES[data.consumeInt(0, ADDRESSES.length - 1)];
        byte[] dst = ADDRESSES[data.consumeInt(0, ADDRESSES.length - 1)];
        int hopLimit = data.consumeBoolean() ? 255 : data.consumeInt(0, 255);
        switch (mode) {
            case 0:
                return TestFrames.ethernet(TestFrames.STACK_MAC, TestFrames.GUEST_MAC, 0x86dd,
                        data.consumeBytes(data.consumeInt(0, 1600)));
            case 1:
                int next = NEXT_HEADERS[data.consumeInt(0, NEXT_HEADERS.length - 1)];
                return Ipv6Frames.frame(Ipv6Frames.ipv6(src, dst, next, hopLimit,
                        data.consumeBytes(data.consumeInt(0, 1600))));
            default:
                int type = data.consumeBoolean() ? data.consumeInt(133, 136) : data.consumeInt(0, 255);
                return Ipv6Frames.frame(Ipv6Frames.icmpv6Packet(src, dst, hopLimit, type, data.consumeInt(0, 1),
                        data.consumeInt(), data.consumeBytes(data.consumeInt(0, 1600))));
        }
    }
}
