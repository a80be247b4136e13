package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.TestFrames.ascii;
import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST_MAC;
import static dev.rootlessjkit.net.usernet.TestFrames.arpRequest;
import static dev.rootlessjkit.net.usernet.TestFrames.udpFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.net.usernet.udp.PublishedUdpPort;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Published UDP ports: per client a flow into the guest from the client's mapped address, replies back. */
class PublishedUdpPortTest {
    static final int GUEST_PORT = 5353;

    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();

    private StackHarness h;
    private DatagramSocket client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
    }

    @Test
    void datagramsReachTheGuestFromTheGatewayAndRepliesReachTheClientUntilIdle() throws IOException {
        h = stacks.harness();
        PublishedUdpPort port = h.onLoop(() -> h.stack.publishUdp(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0, GUEST_PORT));
        InetSocketAddress address = h.onLoop(port::localAddress);
        h.send(arpRequest(GUEST_MAC, GUEST, GATEWAY));
        client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client.setSoTimeout(5000);

        client.send(new DatagramPacket(ascii("ping"), 4, address));
        Parsed in = h.next(f -> f.isUdp() && f.dstPort() == GUEST_PORT);
        in.checkL4();
        assertEquals(GATEWAY, in.ipSrc(), "a loopback client is the gateway inside");
        assertEquals(GUEST, in.ipDst());
        assertEquals(client.getLocalPort(), in.srcPort());
        assertArrayEquals(ascii("ping"), in.payload());

        h.send(udpFrame(GUEST, GUEST_PORT, GATEWAY, in.srcPort(), ascii("pong")));
        DatagramPacket reply = new DatagramPacket(new byte[100], 100);
        client.receive(reply);
        assertArrayEquals(ascii("pong"), Arrays.copyOf(reply.getData(), reply.getLength()));
        assertEquals(address.getPort(), reply.getPort(), "from the published port");

        assertEquals(1, h.onLoop(port::flowCount));
        h.advance(UsernetConfig.Limits.DEFAULT.udpIdleTimeout().plusSeconds(1));
        assertEquals(0, h.onLoop(port::flowCount));
        assertEquals(0, h.onLoop(h.stack::udpFlowCount));

        h.run(port::close);
        client.send(new DatagramPacket(ascii("late"), 4, address));
        h.expectNothing(200);
    }
}
