package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.TestFrames.DNS;
import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST_MAC;
import static dev.rootlessjkit.net.usernet.TestFrames.STACK_MAC;
import static dev.rootlessjkit.net.usernet.TestFrames.icmpEcho;
import static dev.rootlessjkit.net.usernet.TestFrames.ip;
import static dev.rootlessjkit.net.usernet.TestFrames.ipFrame;
import static dev.rootlessjkit.net.usernet.TestFrames.ipv4;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LinkAndIpv4Test {
    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();

    private StackHarness h;

    @BeforeEach
    void setUp() {
        h = stacks.harness();
    }

    private static byte[] echo(int dst) {
        return ipFrame(ipv4(GUEST, dst, 1, 1, 0, new byte[0], icmpEcho(0x1234, 1, "ping".getBytes())));
    }

    @Test
    void answersArpForGatewayAndDns() {
        for (int target : new int[] {GATEWAY, DNS}) {
            h.send(TestFrames.arpRequest(GUEST_MAC, GUEST, target));
            Parsed r = h.next();
            assertEquals(0x0806, r.ethType());
            assertEquals(GUEST_MAC, r.ethDst());
            assertEquals(STACK_MAC, r.ethSrc());
            assertEquals(2, r.b.getShort(20));
            assertEquals(STACK_MAC, ((long) (r.b.getShort(22) & 0xffff) << 32) | (r.b.getInt(24) & 0xffffffffL));
            assertEquals(target, r.b.getInt(28));
            assertEquals(GUEST, r.b.getInt(38));
        }
        assertEquals(2, h.counter(Counter.ARP_REPLIES));
    }

    @Test
    void ignoresArpForOtherAddressesAndCountsMalformed() {
        h.send(TestFrames.arpRequest(GUEST_MAC, GUEST, ip("10.0.2.50")));
        byte[] shortArp = Arrays.copyOf(TestFrames.arpRequest(GUEST_MAC, GUEST, GATEWAY), 30);
        h.send(shortArp);
        h.expectNothing(50);
        assertEquals(1, h.counter(Counter.ARP_IGNORED));
        assertEquals(1, h.counter(Counter.ARP_MALFORMED));
    }

    @Test
    void answersEchoForGatewayWithTheSamePayload() {
        h.send(echo(GATEWAY));
        Parsed r = h.next();
        assertTrue(r.isIcmp());
        r.checkL4();
        assertEquals(GATEWAY, r.ipSrc());
        assertEquals(GUEST, r.ipDst());
        assertEquals(GUEST_MAC, r.ethDst());
        assertEquals(0, r.raw[r.l4()]);
        assertArrayEquals("ping".getBytes(), Arrays.copyOfRange(r.raw, r.l4() + 8, r.l4() + 12));
        assertEquals(0x1234, r.b.getShort(r.l4() + 4));
    }

    @Test
    void toleratesIpOptions() {
        byte[] options = {1, 1, 1, 0};
        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 1, 0, options, icmpEcho(1, 1, new byte[10]))));
        assertTrue(h.next().isIcmp());
    }

    @Test
    void countsAndDropsEveryHeaderError() {
        byte[] good = ipv4(GUEST, GATEWAY, 1, 1, 0, new byte[0], icmpEcho(1, 1, new byte[8]));

        byte[] badChecksum = good.clone();
        badChecksum[10] ^= 1;
        h.send(ipFrame(badChecksum));

        h.send(ipFrame(Arrays.copyOf(good, 19)));

        byte[] v6 = good.clone();
        v6[0] = 0x65;
        h.send(ipFrame(v6));

        byte[] smallIhl = fixHeader(good.clone(), 0x44, -1);
        h.send(ipFrame(smallIhl));

        byte[] bigIhl = fixHeader(good.clone(), 0x4f, -1);
        h.send(ipFrame(bigIhl));

        byte[] totalBelowIhl = fixHeader(good.clone(), 0x45, 16);
        h.send(ipFrame(totalBelowIhl));

        byte[] totalBeyondFrame = fixHeader(good.clone(), 0x45, good.length + 10);
        h.send(ipFrame(totalBeyondFrame));

        h.send(ipFrame(ipv4(GUEST, GATEWAY, 99, 1, 0, new byte[0], new byte[4])));
        h.send(ipFrame(ipv4(ip("224.0.0.1"), GATEWAY, 1, 1, 0, new byte[0], icmpEcho(1, 1, new byte[0]))));
        h.send(new byte[10]);
        h.send(TestFrames.ethernet(STACK_MAC, GUEST_MAC, 0x86dd, new byte[40]));
        h.send(TestFrames.ethernet(0x0200_0000_0099L, GUEST_MAC, 0x0800, good));

        h.expectNothing(50);
        assertEquals(1, h.counter(Counter.IP_BAD_CHECKSUM));
        assertEquals(3, h.counter(Counter.IP_TRUNCATED), "short packet, IHL beyond frame, total beyond frame");
        assertEquals(1, h.counter(Counter.IP_BAD_VERSION));
        assertEquals(1, h.counter(Counter.IP_BAD_HEADER_LENGTH));
        assertEquals(1, h.counter(Counter.IP_BAD_TOTAL_LENGTH));
        assertEquals(1, h.counter(Counter.IP_UNSUPPORTED_PROTOCOL));
        assertEquals(1, h.counter(Counter.IP_BAD_SOURCE));
        assertEquals(1, h.counter(Counter.ETH_TOO_SHORT));
        assertEquals(1, h.counter(Counter.ETH_UNSUPPORTED_TYPE));
        assertEquals(1, h.counter(Counter.ETH_NOT_FOR_US));

        // Ethernet padding after the IP packet is ignored, not an error.
        byte[] padded = Arrays.copyOf(ipFrame(good), ipFrame(good).length + 6);
        h.send(padded);
        assertTrue(h.next().isIcmp());
    }

    /** Rewrites version/IHL byte and total length, then fixes the header checksum over 20 bytes. */
    private static byte[] fixHeader(byte[] p, int versionIhl, int total) {
        p[0] = (byte) versionIhl;
        if (total >= 0) {
            p[2] = (byte) (total >> 8);
            p[3] = (byte) total;
        }
        p[10] = 0;
        p[11] = 0;
        int c = TestFrames.checksum(p, 0, 20, 0);
        p[10] = (byte) (c >> 8);
        p[11] = (byte) c;
        return p;
    }

    @Test
    void aConflictingFragmentDropsTheWholeDatagram() {
        byte[] data = new byte[3000];
        new Random(1).nextBytes(data);
        byte[] icmp = icmpEcho(7, 7, data);
        byte[] a = Arrays.copyOfRange(icmp, 0, 1480);
        byte[] b = Arrays.copyOfRange(icmp, 1480, 2960);
        byte[] c = Arrays.copyOfRange(icmp, 2960, icmp.length);
        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 42, 0x2000 | (2960 / 8), new byte[0], Arrays.copyOf(c, 8))));
        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 42, 0x2000, new byte[0], a)));
        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 42, 0x2000 | (1480 / 8), new byte[0], b)));
        h.expectNothing(20);
        // The same offset again, now as the last fragment: an overlap, so all four are dropped.
        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 42, 2960 / 8, new byte[0], c)));
        h.expectNothing(20);
        assertEquals(4, h.counter(Counter.IP_FRAGMENTS_DROPPED));
    }

    @Test
    void reassemblesAFragmentedEchoAndFragmentsTheLargeReply() {
        byte[] data = new byte[3000];
        new Random(2).nextBytes(data);
        byte[] icmp = icmpEcho(7, 7, data);
        byte[] a = Arrays.copyOfRange(icmp, 0, 1480);
        byte[] b = Arrays.copyOfRange(icmp, 1480, 2960);
        byte[] c = Arrays.copyOfRange(icmp, 2960, icmp.length);
        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 43, 2960 / 8, new byte[0], c)));
        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 43, 0x2000 | (1480 / 8), new byte[0], b)));
        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 43, 0x2000, new byte[0], a)));
        Parsed r = h.next();
        r.checkIpv4();
        assertEquals(icmp.length + 20, r.ipTotal(), "the default MTU of 65520 carries the reply whole");
        assertEquals(1, h.counter(Counter.IP_REASSEMBLED));
        assertArrayEquals(data, Arrays.copyOfRange(r.raw, r.l4() + 8, r.l4() + 8 + data.length));
    }

    @Test
    void dropsOverlappingFragmentsAndExpiresIncompleteOnes() {
        byte[] icmp = icmpEcho(1, 1, new byte[100]);
        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 50, 0x2000, new byte[0], Arrays.copyOfRange(icmp, 0, 64))));
        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 50, 56 / 8, new byte[0], Arrays.copyOfRange(icmp, 56, 108))));
        h.expectNothing(20);
        assertEquals(2, h.counter(Counter.IP_FRAGMENTS_DROPPED));

        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 51, 0x2000, new byte[0], Arrays.copyOfRange(icmp, 0, 64))));
        h.advance(Duration.ofSeconds(31));
        assertEquals(3, h.counter(Counter.IP_FRAGMENTS_DROPPED));
        // The rest arriving after expiry starts a new, never completed datagram.
        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 51, 64 / 8, new byte[0], Arrays.copyOfRange(icmp, 64, 108))));
        h.expectNothing(20);
    }

    @Test
    void fragmentsWithOddLengthsAreDropped() {
        byte[] icmp = icmpEcho(1, 1, new byte[100]);
        h.send(ipFrame(ipv4(GUEST, GATEWAY, 1, 60, 0x2000, new byte[0], Arrays.copyOfRange(icmp, 0, 63))));
        assertEquals(1, h.counter(Counter.IP_FRAGMENTS_DROPPED));
    }

    @Test
    void survivesRandomGarbage() {
        Random r = new Random(3);
        for (int i = 0; i < 3000; i++) {
            byte[] f = new byte[r.nextInt(120)];
            r.nextBytes(f);
            if (f.length >= 14 && r.nextBoolean()) {
                // Mostly valid Ethernet and IPv4 framing around random contents, to get past the first checks.
                ByteBuffer b = ByteBuffer.wrap(f);
                b.putShort(0, (short) 0x5255).putInt(2, 0x0a000202).putShort(12, (short) 0x0800);
                if (f.length >= 34) {
                    f[14] = (byte) (0x45 + (r.nextInt(4) == 0 ? r.nextInt(11) : 0));
                }
            }
            byte[] frame = f;
            h.run(() -> {
                io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.directBuffer(Math.max(1, frame.length));
                b.writeBytes(frame);
                h.stack.receive(b);
            });
        }
        // Still alive and answering.
        h.send(echo(GATEWAY));
        assertTrue(h.next(p -> p.isIcmp()).isIcmp());
    }
}
