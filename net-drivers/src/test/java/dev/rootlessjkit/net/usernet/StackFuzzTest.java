package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.TestFrames.DNS;
import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST_MAC;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelException;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Arbitrary bytes as Ethernet frames from the guest, through ARP, IPv4 (fragments too), ICMP, UDP, DNS and TCP:
 * nothing may escape the stack's receive path. Most inputs get a valid Ethernet and IPv4 header around fuzzed
 * bytes so that the fuzzer reaches the transport parsers quickly. Host sockets cannot be had here (the stack answers
 * as it does on EMFILE), so no fuzzed datagram or connection leaves the process. Regression mode runs the seeds
 * in StackFuzzTestInputs/ in every test run; hack/fuzz.sh runs fuzzing mode.
 */
class StackFuzzTest {
    private static final long OUR_MAC = 0x5255_0a00_0202L;
    private static final int[] PROTOCOLS = {1, 6, 17};
    private static final int[] DESTINATIONS = {GATEWAY, DNS, TestFrames.ip("10.0.2.9"), TestFrames.ip("192.0.2.1")};

    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();


    /** No host sockets: every connection or datagram the fuzzer makes is answered as on EMFILE, nothing leaves. */
    static final HostSockets NONE = new HostSockets() {
        @Override
        public EpollSocketChannel tcp() {
            throw new ChannelException("no host sockets while fuzzing");
        }

        @Override
        public EpollDatagramChannel udp() {
            throw new ChannelException("no host sockets while fuzzing");
        }
    };

    @FuzzTest(maxDuration = "2m")
    void frames(FuzzedDataProvider data) {
        UsernetConfig config = UsernetConfig.defaults(List.of(new java.net.InetSocketAddress("127.0.0.1", 53)));
        try (StackHarness h = new StackHarness(stacks.loop(), config, () -> {
            throw new IOException("no ping sockets while fuzzing");
        }, NONE)) {
            h.run(() -> {
                while (data.remainingBytes() > 0) {
                    int mode = data.consumeInt(0, 3);
                    boolean trusted = data.consumeBoolean();
                    if (mode == 3) {
                        h.timers.advance(Duration.ofMillis(data.consumeInt(0, 300_000)).toNanos());
                        continue;
                    }
                    byte[] frame = frame(mode, data);
                    ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(Math.max(1, frame.length));
                    b.writeBytes(frame);
                    h.stack.receive(b, trusted);
                }
            });
            h.out.clear();
        }
    }

    private static byte[] frame(int mode, FuzzedDataProvider data) {
        switch (mode) {
            case 0:
                return data.consumeBytes(data.consumeInt(0, 1600));
            case 1:
                return TestFrames.ethernet(OUR_MAC, GUEST_MAC, data.consumeBoolean() ? 0x0806 : 0x0800,
                        data.consumeBytes(data.consumeInt(0, 1600)));
            default:
                int protocol = PROTOCOLS[data.consumeInt(0, PROTOCOLS.length - 1)];
                int dst = DESTINATIONS[data.consumeInt(0, DESTINATIONS.length - 1)];
                int flagsAndOffset = data.consumeBoolean() ? data.consumeInt(0, 0xffff) : 0x4000;
                int id = data.consumeInt(0, 0xffff);
                byte[] payload = data.consumeBytes(data.consumeInt(0, 1600));
                return TestFrames.ipFrame(TestFrames.ipv4(GUEST, dst, protocol, id, flagsAndOffset, new byte[0],
                        payload));
        }
    }
}
