package dev.rootlessjkit.net.usernet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.net.usernet.header.Checksum;
import dev.rootlessjkit.net.usernet.header.Icmpv6;
import dev.rootlessjkit.net.usernet.header.Ipv6;
import dev.rootlessjkit.net.usernet.header.Ndp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** The IPv6 header views against frames built byte by byte (and checksums computed by the test's own routine). */
class Ipv6HeadersTest {
    private static final long HIGH = 0xfd00_0000_0000_0000L;

    @Test
    void fixedHeaderFieldsReadAsWritten() {
        byte[] packet = Ipv6Frames.ipv6(Ipv6Frames.GUEST, Ipv6Frames.OUTSIDE, 17, 33, new byte[12]);
        ByteBuf b = Unpooled.wrappedBuffer(packet);
        assertEquals(6, Ipv6.version(b, 0));
        assertEquals(12, Ipv6.payloadLength(b, 0));
        assertEquals(17, Ipv6.nextHeader(b, 0));
        assertEquals(33, Ipv6.hopLimit(b, 0));
        assertEquals(HIGH, Ipv6.sourceHigh(b, 0));
        assertEquals(0x100, Ipv6.sourceLow(b, 0));
        assertEquals(0x2001_0db8_0000_0000L, Ipv6.destinationHigh(b, 0));
        assertEquals(1, Ipv6.destinationLow(b, 0));
        ByteBuf w = Unpooled.buffer(52).writerIndex(52);
        Ipv6.write(w, 0, 12, 17, 33, HIGH, 0x100, 0x2001_0db8_0000_0000L, 1);
        assertArrayEquals(packet, w.array());
    }

    @Test
    void extensionAndFragmentHeaderFields() {
        ByteBuf b = Unpooled.wrappedBuffer(new byte[] {58, 2, 0, 5, 0, 0, 0, 0, 17, 0, 0x12, 0x39, 0, 0, 0, 7});
        assertEquals(58, Ipv6.extensionNextHeader(b, 0));
        assertEquals(24, Ipv6.extensionLength(b, 0));
        assertEquals(5, Ipv6.routingSegmentsLeft(b, 0));
        assertEquals(0x1238, Ipv6.fragmentOffset(b, 8));
        assertTrue(Ipv6.fragmentHasMore(b, 8));
        assertEquals(7, Ipv6.fragmentIdentification(b, 8));
        assertTrue(Ipv6.isGenericExtension(0) && Ipv6.isGenericExtension(43) && Ipv6.isGenericExtension(60));
        assertFalse(Ipv6.isGenericExtension(44));
    }

    @Test
    void pseudoHeaderChecksumMatchesAnIndependentSum() {
        byte[] m = Ipv6Frames.icmpv6(Ipv6Frames.GUEST, Ipv6Frames.GATEWAY, 128, 0, 0x00010002, "abc".getBytes());
        ByteBuf b = Unpooled.wrappedBuffer(m);
        assertTrue(Icmpv6.checksumVerifies(b, 0, m.length, HIGH, 0x100, HIGH, 2));
        assertFalse(Icmpv6.checksumVerifies(b, 0, m.length, HIGH, 0x101, HIGH, 2));
        ByteBuf copy = Unpooled.copiedBuffer(m);
        copy.setShort(2, 0);
        Icmpv6.setTypeCodeAndChecksum(copy, 0, 128, 0, m.length, HIGH, 0x100, HIGH, 2);
        assertArrayEquals(m, copy.array());
        assertEquals(TestFrames.checksum(new byte[0], 0, 0, Ipv6Frames.pseudo(Ipv6Frames.GUEST, Ipv6Frames.OUTSIDE,
                6, 70000)), Checksum.finish(Checksum.pseudoHeaderIpv6(HIGH, 0x100, 0x2001_0db8_0000_0000L, 1, 6,
                70000)));
    }

    @Test
    void ndpOptionsAreFoundAndMalformedOnesRecognised() {
        ByteBuf b = Unpooled.wrappedBuffer(new byte[] {5, 1, 0, 0, 0, 0, 5, (byte) 0xdc, 1, 1, 2, 0, 0, 0, 0, 9});
        assertTrue(Ndp.optionsValid(b, 0, 16));
        assertEquals(0x0200_0000_0009L, Ndp.findLinkAddress(b, 0, 16, Ndp.OPT_SOURCE_LINK_ADDRESS));
        assertEquals(Ndp.ABSENT, Ndp.findLinkAddress(b, 0, 16, Ndp.OPT_TARGET_LINK_ADDRESS));
        assertFalse(Ndp.optionsValid(b, 0, 15), "an option past the end");
        assertFalse(Ndp.optionsValid(Unpooled.wrappedBuffer(new byte[] {1, 0, 0, 0, 0, 0, 0, 0}), 0, 8),
                "a zero-length option");
        assertFalse(Ndp.optionsValid(b, 0, 9), "a lone type byte");
        assertEquals(0x3333_ff00_0100L, Ndp.multicastMac(0x0000_0001_ff00_0100L));
    }

    @Test
    void addressesConvertBothWays() throws Exception {
        Ipv6Address a = Ipv6Address.fromInet(InetAddress.getByName("fd00::100"));
        assertEquals(Ipv6Address.GUEST, a);
        assertEquals("fd00::100", a.toString());
        assertEquals("fd00::3", Ipv6Address.DNS.toString());
        assertEquals("::1", Ipv6Address.LOOPBACK.toString());
        assertEquals("::", new Ipv6Address(0, 0).toString());
        assertEquals("fe80::ff:fe00:1", new Ipv6Address(0xfe80_0000_0000_0000L, 0x0000_00ff_fe00_0001L).toString());
        assertEquals("1:0:2::3", new Ipv6Address(0x0001_0000_0002_0000L, 3).toString());
        assertEquals("1::2:0:0:3", new Ipv6Address(0x0001_0000_0000_0000L, 0x0002_0000_0000_0003L).toString());
        assertEquals(Ipv6Address.LOOPBACK.toInet(), InetAddress.getByName("::1"));
    }
}
