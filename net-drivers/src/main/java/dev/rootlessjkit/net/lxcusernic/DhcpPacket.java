package dev.rootlessjkit.net.lxcusernic;

import java.nio.ByteBuffer;

/**
 * The IPv4 and UDP headers around DHCP messages, as the packet socket sends and receives them: a client without an
 * address sends from 0.0.0.0:68 to 255.255.255.255:67, and takes from whatever the interface receives only UDP
 * datagrams from port 67 to port 68 in unfragmented, well-formed IPv4 packets.
 */
final class DhcpPacket {
    static final int CLIENT_PORT = 68;
    static final int SERVER_PORT = 67;
    private static final int IPV4_HEADER = 20;
    private static final int UDP_HEADER = 8;
    private static final int PROTOCOL_UDP = 17;
    private static final int TTL = 64;
    private static final int FRAGMENT_MASK = 0x3fff;

    private DhcpPacket() {
    }

    /** {@code message} in a UDP datagram to the DHCP servers of the link, in an IPv4 broadcast packet. */
    static byte[] broadcast(byte[] message) {
        final int total = IPV4_HEADER + UDP_HEADER + message.length;
        final ByteBuffer b = ByteBuffer.allocate(total);
        b.put((byte) 0x45).put((byte) 0).putShort((short) total).putInt(0);
        b.put((byte) TTL).put((byte) PROTOCOL_UDP).putShort((short) 0).putInt(0).putInt(0xffffffff);
        b.putShort(10, (short) headerChecksum(b.array()));
        // A zero UDP checksum means "none" over IPv4 (RFC 768): the headers are ours and the link is local.
        b.putShort((short) CLIENT_PORT).putShort((short) SERVER_PORT).putShort((short) (UDP_HEADER + message.length))
                .putShort((short) 0);
        b.put(message);
        return b.array();
    }

    /**
     * Where the DHCP message of a received packet is: its offset in {@code packet}, or -1 when the first
     * {@code length} bytes are not a server's DHCP datagram to the client port. Reads nothing outside them.
     */
    static int payloadOffset(byte[] packet, int length) {
        if (length < IPV4_HEADER + UDP_HEADER || length > packet.length || (packet[0] & 0xf0) != 0x40) {
            return -1;
        }
        final ByteBuffer b = ByteBuffer.wrap(packet, 0, length);
        final int headerLength = (packet[0] & 0x0f) * 4;
        final int total = b.getShort(2) & 0xffff;
        if (headerLength < IPV4_HEADER || total < headerLength + UDP_HEADER || total > length
                || (b.getShort(6) & FRAGMENT_MASK) != 0 || (packet[9] & 0xff) != PROTOCOL_UDP) {
            return -1;
        }
        final int udpLength = b.getShort(headerLength + 4) & 0xffff;
        if ((b.getShort(headerLength) & 0xffff) != SERVER_PORT || (b.getShort(headerLength + 2) & 0xffff) != CLIENT_PORT
                || udpLength < UDP_HEADER || udpLength > total - headerLength) {
            return -1;
        }
        return headerLength + UDP_HEADER;
    }

    /** The DHCP message's length in a packet that {@link #payloadOffset} accepted. */
    static int payloadLength(byte[] packet, int offset) {
        return (ByteBuffer.wrap(packet).getShort(offset - UDP_HEADER + 4) & 0xffff) - UDP_HEADER;
    }

    /**
     * RFC 1071 over the 20-byte header. The stack's own checksum code works on Netty buffers, which the child JVM,
     * where the DHCP client runs, never loads.
     */
    private static int headerChecksum(byte[] header) {
        int sum = 0;
        for (int i = 0; i < IPV4_HEADER; i += 2) {
            sum += ((header[i] & 0xff) << 8) | (header[i + 1] & 0xff);
        }
        sum = (sum >>> 16) + (sum & 0xffff);
        sum += sum >>> 16;
        return ~sum & 0xffff;
    }
}
