package dev.rootlessjkit.net.usernet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** A frame the stack emitted, decoded for assertions; checks every checksum on the way. */
final class Parsed {
    final byte[] raw;
    final ByteBuffer b;

    Parsed(byte[] raw) {
        this.raw = raw;
        this.b = ByteBuffer.wrap(raw);
    }

    long ethDst() {
        return ((long) (b.getShort(0) & 0xffff) << 32) | (b.getInt(2) & 0xffffffffL);
    }

    long ethSrc() {
        return ((long) (b.getShort(6) & 0xffff) << 32) | (b.getInt(8) & 0xffffffffL);
    }

    int ethType() {
        return b.getShort(12) & 0xffff;
    }

    boolean isIpv4() {
        return ethType() == 0x0800;
    }

    int ihl() {
        return (raw[14] & 0x0f) * 4;
    }

    int ipTotal() {
        return b.getShort(16) & 0xffff;
    }

    int ipProto() {
        return raw[23] & 0xff;
    }

    int ipSrc() {
        return b.getInt(26);
    }

    int ipDst() {
        return b.getInt(30);
    }

    int l4() {
        return 14 + ihl();
    }

    int l4Length() {
        return ipTotal() - ihl();
    }

    void checkIpv4() {
        assertEquals(0, TestFrames.checksum(raw, 14, ihl(), 0), "IPv4 header checksum");
    }

    boolean isTcp() {
        return isIpv4() && ipProto() == 6;
    }

    boolean isUdp() {
        return isIpv4() && ipProto() == 17;
    }

    boolean isIcmp() {
        return isIpv4() && ipProto() == 1;
    }

    void checkL4() {
        checkIpv4();
        long pseudo = ipProto() == 1 ? 0 : TestFrames.pseudo(ipSrc(), ipDst(), ipProto(), l4Length());
        assertEquals(0, TestFrames.checksum(raw, l4(), l4Length(), pseudo), "transport checksum");
    }

    int srcPort() {
        return b.getShort(l4()) & 0xffff;
    }

    int dstPort() {
        return b.getShort(l4() + 2) & 0xffff;
    }

    int seq() {
        return b.getInt(l4() + 4);
    }

    int ack() {
        return b.getInt(l4() + 8);
    }

    int tcpHeaderLength() {
        return ((raw[l4() + 12] & 0xff) >> 4) * 4;
    }

    int flags() {
        return raw[l4() + 13] & 0xff;
    }

    boolean has(int flag) {
        return (flags() & flag) != 0;
    }

    int window() {
        return b.getShort(l4() + 14) & 0xffff;
    }

    /** The TCP payload, or the UDP payload. */
    byte[] payload() {
        int start = isTcp() ? l4() + tcpHeaderLength() : l4() + 8;
        return Arrays.copyOfRange(raw, start, 14 + ipTotal());
    }

    /** The raw TCP options area. */
    byte[] tcpOptions() {
        return Arrays.copyOfRange(raw, l4() + 20, l4() + tcpHeaderLength());
    }

    @Override
    public String toString() {
        if (isTcp()) {
            return "TCP " + srcPort() + "->" + dstPort() + " seq=" + Integer.toUnsignedString(seq()) + " ack="
                    + Integer.toUnsignedString(ack()) + " flags=0x" + Integer.toHexString(flags()) + " win="
                    + window() + " len=" + payload().length;
        }
        return "frame type 0x" + Integer.toHexString(ethType()) + " proto " + (isIpv4() ? ipProto() : -1)
                + " len " + raw.length;
    }
}
