package dev.rootlessjkit.net.lxcusernic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rootlessjkit.net.Ipv4Network;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DhcpMessageTest {
    static final long MAC = 0x0a1b2c3d4e5fL;
    static final int SERVER = Ipv4Network.parseAddress("10.0.3.1");
    static final int CLIENT = Ipv4Network.parseAddress("10.0.3.77");

    /** A DHCPDISCOVER as RFC 2131 lays it out, byte by byte. */
    @Test
    void discoverOnTheWire() {
        final byte[] wire = DhcpMessage.request(DhcpMessage.DISCOVER, 0x12345678, MAC, 0, 0, 0).encode();
        assertEquals(300, wire.length);
        assertArrayEquals(new byte[] {1, 1, 6, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, (byte) 0x80, 0},
                Arrays.copyOf(wire, 12));
        assertArrayEquals(new byte[] {0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f}, Arrays.copyOfRange(wire, 28, 34));
        assertArrayEquals(new byte[] {0x63, (byte) 0x82, 0x53, 0x63, 53, 1, 1, 55, 4, 1, 3, 6, 51, (byte) 255},
                Arrays.copyOfRange(wire, 236, 250));
    }

    @Test
    void clientIdentifierIsOption61OfTypeZero() {
        final byte[] wire = DhcpMessage.request(DhcpMessage.DISCOVER, 1, MAC, 0, 0, 0).encode("rj-1");
        assertArrayEquals(new byte[] {53, 1, 1, 61, 5, 0, 'r', 'j', '-', '1', 55},
                Arrays.copyOfRange(wire, 240, 251));
        assertThrows(IllegalArgumentException.class, () -> DhcpMessage.request(DhcpMessage.DISCOVER, 1, MAC, 0, 0,
                0).encode("x".repeat(DhcpMessage.MAX_CLIENT_ID + 1)));
    }

    @Test
    void requestNamesTheOfferAndItsServer() throws DhcpFormatException {
        final byte[] wire = DhcpMessage.request(DhcpMessage.REQUEST, 7, MAC, 0, CLIENT, SERVER).encode();
        final DhcpMessage parsed = DhcpMessage.parse(wire, 0, wire.length);
        assertEquals(DhcpMessage.REQUEST, parsed.type());
        assertEquals(CLIENT, parsed.requestedAddress());
        assertEquals(SERVER, parsed.serverId());
        assertEquals(MAC, parsed.hardwareAddress());
        assertEquals(DhcpMessage.FLAG_BROADCAST, parsed.flags());
    }

    @Test
    void anAckRoundTrips() throws DhcpFormatException {
        final DhcpMessage ack = ack(0x99, List.of(SERVER, SERVER + 1), List.of(SERVER, 1, 2, 3, 4));
        final byte[] wire = ack.encode();
        final byte[] framed = new byte[wire.length + 10];
        System.arraycopy(wire, 0, framed, 5, wire.length);
        final DhcpMessage parsed = DhcpMessage.parse(framed, 5, wire.length);
        assertEquals(DhcpMessage.ACK, parsed.type());
        assertEquals(0x99, parsed.xid());
        assertEquals(CLIENT, parsed.yourAddress());
        assertEquals(0xffffff00, parsed.subnetMask());
        assertEquals(List.of(SERVER, SERVER + 1), parsed.routers());
        // Only the first three name servers are kept: resolv.conf takes no more.
        assertEquals(List.of(SERVER, 1, 2), parsed.nameServers());
        assertEquals(3600, parsed.leaseSeconds());
    }

    @Test
    void malformedMessagesAreRefused() {
        final byte[] wire = ack(1, List.of(SERVER), List.of(SERVER)).encode();
        assertThrows(DhcpFormatException.class, () -> DhcpMessage.parse(wire, 0, 239));
        assertThrows(DhcpFormatException.class, () -> DhcpMessage.parse(wire, 10, wire.length));
        final byte[] noCookie = wire.clone();
        noCookie[236] = 0;
        assertThrows(DhcpFormatException.class, () -> DhcpMessage.parse(noCookie, 0, noCookie.length));
        // The message-type option claims more bytes than the message has.
        final byte[] cut = Arrays.copyOf(wire, 242);
        cut[241] = 9;
        assertThrows(DhcpFormatException.class, () -> DhcpMessage.parse(cut, 0, cut.length));
        final byte[] badRouter = wire.clone();
        final int router = indexOfOption(badRouter, 3);
        badRouter[router + 1] = 3;
        assertThrows(DhcpFormatException.class, () -> DhcpMessage.parse(badRouter, 0, badRouter.length));
    }

    @Test
    void prefixLengthOfMasks() {
        assertEquals(24, DhcpMessage.prefixLength(0xffffff00));
        assertEquals(32, DhcpMessage.prefixLength(0xffffffff));
        assertEquals(0, DhcpMessage.prefixLength(0));
        assertEquals(-1, DhcpMessage.prefixLength(0xff00ff00));
    }

    @Test
    void packetFramingIsCheckedBeforeTheMessage() {
        final byte[] message = ack(1, List.of(SERVER), List.of(SERVER)).encode();
        final byte[] sent = DhcpPacket.broadcast(message);
        // What we send goes from port 68 to 67; an answer goes the other way.
        assertEquals(-1, DhcpPacket.payloadOffset(sent, sent.length));
        final byte[] answer = reply(message);
        assertEquals(28, DhcpPacket.payloadOffset(answer, answer.length));
        assertEquals(message.length, DhcpPacket.payloadLength(answer, 28));
        assertEquals(-1, DhcpPacket.payloadOffset(answer, answer.length - 1));
        final byte[] fragment = answer.clone();
        fragment[6] = 0x20;
        assertEquals(-1, DhcpPacket.payloadOffset(fragment, fragment.length));
        final byte[] tcp = answer.clone();
        tcp[9] = 6;
        assertEquals(-1, DhcpPacket.payloadOffset(tcp, tcp.length));
    }

    /** The header checksum of what we send verifies (sums to 0xffff) as a receiver checks it. */
    @Test
    void ipHeaderChecksumVerifies() {
        final byte[] sent = DhcpPacket.broadcast(new byte[300]);
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += ((sent[i] & 0xff) << 8) | (sent[i + 1] & 0xff);
        }
        while (sum > 0xffff) {
            sum = (sum >>> 16) + (sum & 0xffff);
        }
        assertEquals(0xffff, sum);
        assertEquals(0xffffffff, java.nio.ByteBuffer.wrap(sent).getInt(16));
    }

    static DhcpMessage ack(int xid, List<Integer> routers, List<Integer> dns) {
        return new DhcpMessage(DhcpMessage.BOOTREPLY, xid, 0, 0, CLIENT, MAC, DhcpMessage.ACK, SERVER, 0, 0xffffff00,
                routers, dns, 3600);
    }

    /** {@code message} as the server's broadcast answer: IPv4 from the server, UDP 67 to 68. */
    static byte[] reply(byte[] message) {
        final byte[] packet = DhcpPacket.broadcast(message);
        packet[20] = 0;
        packet[21] = 67;
        packet[22] = 0;
        packet[23] = 68;
        return packet;
    }

    private static int indexOfOption(byte[] wire, int code) {
        int i = 240;
        while ((wire[i] & 0xff) != code) {
            i += 2 + (wire[i + 1] & 0xff);
        }
        return i;
    }
}
