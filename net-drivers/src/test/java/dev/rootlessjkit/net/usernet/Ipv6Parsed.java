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
