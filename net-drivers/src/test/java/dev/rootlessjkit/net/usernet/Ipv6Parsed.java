package dev.rootlessjkit.net.usernet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

/** An IPv6 frame the stack emitted, decoded for assertions; checks the upper-layer checksum on the way. */
final class Ipv6Parsed {
    final Parsed p;

    Ipv6Parsed(Parsed p) {
        assertEquals(0x86dd, p.ethType(), "an IPv6 frame");
        assertEquals(6, (p.raw[14] & 0xff) >>> 4, "IP version");
        this.p = p;
    }

    static boolean isIcmpv6(Parsed p, int type) {
        return p.ethType() == 0x86dd && (p.raw[20] & 0xff) == 58 && (p.raw[54] & 0xff) == type;
    }

    static boolean isTcp(Parsed p) {
        return p.ethType() == 0x86dd && (p.raw[20] & 0xff) == 6;
    }

    static boolean isUdp(Parsed p) {
        return p.ethType() == 0x86dd && (p.raw[20] & 0xff) == 17;
    }

    int srcPort() {
        return p.b.getShort(54) & 0xffff;
    }

    int dstPort() {
        return p.b.getShort(56) & 0xffff;
    }

    int seq() {
        return p.b.getInt(58);
    }

    int ack() {
        return p.b.getInt(62);
    }

    int tcpFlags() {
        return p.raw[67] & 0xff;
    }

    /** The TCP payload (after options), or the UDP payload. */
    byte[] payload() {
        int start = nextHeader() == 6 ? 54 + ((p.raw[66] & 0xff) >> 4) * 4 : 54 + 8;
        return Arrays.copyOfRange(p.raw, start, 54 + payloadLength());
    }

    int payloadLength() {
        return p.b.getShort(18) & 0xffff;
    }

    int nextHeader() {
        return p.raw[20] & 0xff;
    }

    int hopLimit() {
        return p.raw[21] & 0xff;
    }

    byte[] src() {
        return Arrays.copyOfRange(p.raw, 22, 38);
    }

    byte[] dst() {
        return Arrays.copyOfRange(p.raw, 38, 54);
    }

    /** The upper-layer bytes after the fixed header, checksum verified. */
    byte[] l4() {
        assertEquals(p.raw.length, 54 + payloadLength(), "frame length");
        assertEquals(0, TestFrames.checksum(p.raw, 54, payloadLength(),
                Ipv6Frames.pseudo(src(), dst(), nextHeader(), payloadLength())), "upper-layer checksum");
        return Arrays.copyOfRange(p.raw, 54, 54 + payloadLength());
    }
}
