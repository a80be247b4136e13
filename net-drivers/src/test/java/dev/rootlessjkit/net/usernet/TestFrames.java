package dev.rootlessjkit.net.usernet;

import java.nio.ByteBuffer;

/** Builds guest frames byte by byte, with a checksum routine of its own so that the stack's is tested, not reused. */
final class TestFrames {
    static final long GUEST_MAC = 0x0200_0000_0001L;
    static final long STACK_MAC = 0x5255_0a00_0202L;
    static final int GUEST = ip("10.0.2.100");
    static final int GATEWAY = ip("10.0.2.2");
    static final int DNS = ip("10.0.2.3");

    private TestFrames() {
    }

    static int ip(String s) {
        return Ipv4Address.parse(s);
    }

    static int checksum(byte[] b, int off, int len, long initial) {
        long sum = initial;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (b[off + len - 1] & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    static long pseudo(int src, int dst, int proto, int len) {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
    }

    static byte[] ethernet(long dst, long src, int type, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + payload.length);
        putMac(b, dst);
        putMac(b, src);
        b.putShort((short) type);
        b.put(payload);
        return b.array();
    }

    static void putMac(ByteBuffer b, long mac) {
        b.putShort((short) (mac >>> 32));
        b.putInt((int) mac);
    }

    static byte[] arpRequest(long senderMac, int senderIp, int targetIp) {
        ByteBuffer b = ByteBuffer.allocate(28);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
        putMac(b, senderMac);
        b.putInt(senderIp);
        putMac(b, 0);
        b.putInt(targetIp);
        return ethernet(0xffff_ffff_ffffL, senderMac, 0x0806, b.array());
    }

    /** An IPv4 packet (no Ethernet) with a correct header checksum; {@code options} must be a multiple of 4. */
    static byte[] ipv4(int src, int dst, int proto, int id, int flagsAndOffset, byte[] options, byte[] payload) {
        int ihl = 20 + options.length;
        ByteBuffer b = ByteBuffer.allocate(ihl + payload.length);
        b.put((byte) (0x40 | (ihl / 4))).put((byte) 0).putShort((short) (ihl + payload.length));
        b.putShort((short) id).putShort((short) flagsAndOffset).put((byte) 64).put((byte) proto).putShort((short) 0);
        b.putInt(src).putInt(dst).put(options).put(payload);
        byte[] a = b.array();
        int c = checksum(a, 0, ihl, 0);
        a[10] = (byte) (c >> 8);
        a[11] = (byte) c;
        return a;
    }

    static byte[] ipFrame(byte[] ipPacket) {
        return ethernet(STACK_MAC, GUEST_MAC, 0x0800, ipPacket);
    }

    static byte[] icmpEcho(int id, int seq, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + data.length);
        b.put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq).put(data);
        byte[] a = b.array();
        int c = checksum(a, 0, a.length, 0);
        a[2] = (byte) (c >> 8);
        a[3] = (byte) c;
        return a;
    }

    static byte[] udp(int src, int srcPort, int dst, int dstPort, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + payload.length))
                .putShort((short) 0).put(payload);
        byte[] a = b.array();
        int c = checksum(a, 0, a.length, pseudo(src, dst, 17, a.length));
        a[6] = (byte) (c >> 8);
        a[7] = (byte) c;
        return a;
    }

    static byte[] udpFrame(int src, int srcPort, int dst, int dstPort, byte[] payload) {
        return ipFrame(ipv4(src, dst, 17, 1, 0, new byte[0], udp(src, srcPort, dst, dstPort, payload)));
    }

    static byte[] tcp(int src, int srcPort, int dst, int dstPort, int seq, int ack, int flags, int window,
            byte[] options, byte[] payload) {
        int hl = 20 + options.length;
        ByteBuffer b = ByteBuffer.allocate(hl + payload.length);
        b.putShort((short) srcPort).putShort((short) dstPort).putInt(seq).putInt(ack);
        b.put((byte) ((hl / 4) << 4)).put((byte) flags).putShort((short) window).putShort((short) 0)
                .putShort((short) 0).put(options).put(payload);
        byte[] a = b.array();
        int c = checksum(a, 0, a.length, pseudo(src, dst, 6, a.length));
        a[16] = (byte) (c >> 8);
        a[17] = (byte) c;
        return a;
    }

    static byte[] tcpFrame(int src, int srcPort, int dst, int dstPort, int seq, int ack, int flags, int window,
            byte[] options, byte[] payload) {
        return ipFrame(ipv4(src, dst, 6, 7, 0x4000, new byte[0],
                tcp(src, srcPort, dst, dstPort, seq, ack, flags, window, options, payload)));
    }

    /** MSS option and, when {@code wscale >= 0}, the window-scale option, padded to a multiple of 4. */
    static byte[] synOptions(int mss, int wscale) {
        if (wscale < 0) {
            return new byte[] {2, 4, (byte) (mss >> 8), (byte) mss};
        }
        return new byte[] {2, 4, (byte) (mss >> 8), (byte) mss, 1, 3, 3, (byte) wscale};
    }

    static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
