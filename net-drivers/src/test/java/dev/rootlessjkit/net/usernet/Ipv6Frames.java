package dev.rootlessjkit.net.usernet;

import java.nio.ByteBuffer;

/** Builds guest IPv6 frames byte by byte, checksums by {@link TestFrames#checksum}, not the stack's. */
final class Ipv6Frames {
    static final byte[] GUEST = addr(0xfd00_0000_0000_0000L, 0x100);
    static final byte[] GATEWAY = addr(0xfd00_0000_0000_0000L, 2);
    static final byte[] DNS = addr(0xfd00_0000_0000_0000L, 3);
    static final byte[] GATEWAY_LINK_LOCAL = addr(0xfe80_0000_0000_0000L, 2);
    static final byte[] GUEST_LINK_LOCAL = addr(0xfe80_0000_0000_0000L, 0x0000_00ff_fe00_0001L);
    static final byte[] UNSPECIFIED = new byte[16];
    static final byte[] ALL_NODES = addr(0xff02_0000_0000_0000L, 1);
    static final byte[] ALL_ROUTERS = addr(0xff02_0000_0000_0000L, 2);
    /** A documentation address (RFC 3849): nothing is ever sent there. */
    static final byte[] OUTSIDE = addr(0x2001_0db8_0000_0000L, 1);

    private Ipv6Frames() {
    }

    static byte[] addr(long high, long low) {
        return ByteBuffer.allocate(16).putLong(high).putLong(low).array();
    }

    /** The solicited-node multicast address of {@code target}: ff02::1:ffXX:XXXX. */
    static byte[] solicitedNode(byte[] target) {
        byte[] a = addr(0xff02_0000_0000_0000L, 0x0000_0001_ff00_0000L);
        System.arraycopy(target, 13, a, 13, 3);
        return a;
    }

    static long pseudo(byte[] src, byte[] dst, int nextHeader, int length) {
        long sum = 0;
        for (byte[] a : new byte[][] {src, dst}) {
            for (int i = 0; i < 16; i += 2) {
                sum += ((a[i] & 0xff) << 8) | (a[i + 1] & 0xff);
            }
        }
        return sum + nextHeader + (length >>> 16) + (length & 0xffff);
    }

    /** An IPv6 packet whose payload (extension headers included) starts with {@code nextHeader}. */
    static byte[] ipv6(byte[] src, byte[] dst, int nextHeader, int hopLimit, byte[] payload) {
        return ByteBuffer.allocate(40 + payload.length).putInt(0x6000_0000).putShort((short) payload.length)
                .put((byte) nextHeader).put((byte) hopLimit).put(src).put(dst).put(payload).array();
    }

    static byte[] frame(byte[] ipv6Packet) {
        return TestFrames.ethernet(TestFrames.STACK_MAC, TestFrames.GUEST_MAC, 0x86dd, ipv6Packet);
    }

    /** The frame to a multicast address, as the guest's kernel sends it (33:33 and the address' low 32 bits). */
    static byte[] multicastFrame(byte[] dst, byte[] ipv6Packet) {
        long mac = (0x3333L << 32) | (ByteBuffer.wrap(dst).getInt(12) & 0xffffffffL);
        return TestFrames.ethernet(mac, TestFrames.GUEST_MAC, 0x86dd, ipv6Packet);
    }

    /** An ICMPv6 message with its checksum: type, code, the 4 bytes after the checksum, then {@code body}. */
    static byte[] icmpv6(byte[] src, byte[] dst, int type, int code, int word, byte[] body) {
        byte[] m = ByteBuffer.allocate(8 + body.length).put((byte) type).put((byte) code).putShort((short) 0)
                .putInt(word).put(body).array();
        int c = TestFrames.checksum(m, 0, m.length, pseudo(src, dst, 58, m.length));
        m[2] = (byte) (c >> 8);
        m[3] = (byte) c;
        return m;
    }

    static byte[] icmpv6Packet(byte[] src, byte[] dst, int hopLimit, int type, int code, int word, byte[] body) {
        return ipv6(src, dst, 58, hopLimit, icmpv6(src, dst, type, code, word, body));
    }

    /** A neighbor solicitation for {@code target}, with a source link-layer option unless {@code src} is ::. */
    static byte[] neighborSolicitation(byte[] src, byte[] dst, byte[] target) {
        boolean dad = java.util.Arrays.equals(src, UNSPECIFIED);
        ByteBuffer body = ByteBuffer.allocate(16 + (dad ? 0 : 8)).put(target);
        if (!dad) {
            body.put((byte) 1).put((byte) 1);
            TestFrames.putMac(body, TestFrames.GUEST_MAC);
        }
        return icmpv6Packet(src, dst, 255, 135, 0, 0, body.array());
    }

    /** A TCP segment over IPv6 with its checksum. */
    static byte[] tcp(byte[] src, int srcPort, byte[] dst, int dstPort, int seq, int ack, int flags, byte[] options,
            byte[] payload) {
        int hl = 20 + options.length;
        byte[] t = ByteBuffer.allocate(hl + payload.length).putShort((short) srcPort).putShort((short) dstPort)
                .putInt(seq).putInt(ack).put((byte) ((hl / 4) << 4)).put((byte) flags).putShort((short) 65535)
                .putInt(0).put(options).put(payload).array();
        int c = TestFrames.checksum(t, 0, t.length, pseudo(src, dst, 6, t.length));
        t[16] = (byte) (c >> 8);
        t[17] = (byte) c;
        return frame(ipv6(src, dst, 6, 64, t));
    }

    /** A UDP datagram over IPv6 with its checksum, in a frame to the stack's MAC. */
    static byte[] udp(byte[] src, int srcPort, byte[] dst, int dstPort, byte[] payload) {
        return frame(udpPacket(src, srcPort, dst, dstPort, payload));
    }

    static byte[] udpPacket(byte[] src, int srcPort, byte[] dst, int dstPort, byte[] payload) {
        byte[] u = ByteBuffer.allocate(8 + payload.length).putShort((short) srcPort).putShort((short) dstPort)
                .putShort((short) (8 + payload.length)).putShort((short) 0).put(payload).array();
        int c = TestFrames.checksum(u, 0, u.length, pseudo(src, dst, 17, u.length));
        u[6] = (byte) (c >> 8);
        u[7] = (byte) c;
        return ipv6(src, dst, 17, 64, u);
    }

    static byte[] echoRequest(byte[] src, byte[] dst, int id, int seq, byte[] data) {
        return icmpv6Packet(src, dst, 64, 128, 0, (id << 16) | seq, data);
    }
}
