package dev.rootlessjkit.net.lxcusernic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Arbitrary bytes as packets the DHCP client's socket receives: the IPv4/UDP framing check and the DHCP parser
 * never read outside the packet, and what parses encodes and parses back to the same message.
 */
class DhcpMessageFuzzTest {
    @FuzzTest(maxDuration = "2m")
    void receivedPackets(byte[] packet) {
        final int offset = DhcpPacket.payloadOffset(packet, packet.length);
        // Bare messages too, so the fuzzer reaches the options without first finding valid headers.
        parse(packet, 0, packet.length);
        if (offset < 0) {
            return;
        }
        final int length = DhcpPacket.payloadLength(packet, offset);
        assertTrue(length >= 0 && offset + length <= packet.length, "payload outside the packet");
        parse(packet, offset, length);
    }

    private static void parse(byte[] packet, int offset, int length) {
        final DhcpMessage message;
        try {
            message = DhcpMessage.parse(packet, offset, length);
        } catch (DhcpFormatException e) {
            return;
        }
        assertTrue(message.routers().size() <= DhcpMessage.MAX_ADDRESSES);
        assertTrue(message.nameServers().size() <= DhcpMessage.MAX_ADDRESSES);
        final byte[] again = message.encode();
        try {
            assertEquals(message, DhcpMessage.parse(again, 0, again.length));
        } catch (DhcpFormatException e) {
            throw new AssertionError("a parsed message did not encode to a parsable one", e);
        }
    }
}
