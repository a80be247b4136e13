package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.header.Tcp.FIN;
import static dev.rootlessjkit.net.usernet.header.Tcp.SYN;
import static dev.rootlessjkit.net.usernet.header.Tcp.RST;
import static dev.rootlessjkit.net.usernet.header.Tcp.PSH;
import static dev.rootlessjkit.net.usernet.header.Tcp.ACK;
import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST_MAC;
import static dev.rootlessjkit.net.usernet.TestFrames.synOptions;
import static dev.rootlessjkit.net.usernet.TestFrames.tcpFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.net.usernet.tcp.PublishedTcpPort;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sequential connections through a published port to a guest that behaves as Linux does: it closes first, keeps
 * TIME-WAIT for the connection's addresses and ports, and answers a SYN that does not start beyond the old
 * connection with an ACK of the old one. Loopback clients all appear as the gateway, so when they use the same port
 * the guest sees the same addresses and ports every time. The stack's clock never moves here: a connection that
 * waited for a retransmission timeout (the 1-second stalls) never completes, and fails the test.
 */
class PublishedTcpPortSequenceTest {
    static final byte[] NONE = new byte[0];
    static final int GUEST_PORT = 8080;
    static final int CONNECTIONS = 1000;

    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();


    /** The guest's TIME-WAIT for one (client port): what it had received and sent. */
    private record TimeWait(int rcvNxt, int sndNxt) {
    }

    private static byte[] arpReply(long senderMac, int senderIp, long targetMac, int targetIp) {
        ByteBuffer b = ByteBuffer.allocate(28);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 2);
        TestFrames.putMac(b, senderMac);
        b.putInt(senderIp);
        TestFrames.putMac(b, targetMac);
        b.putInt(targetIp);
        return TestFrames.ethernet(targetMac, senderMac, 0x0806, b.array());
    }

    @Test
    void aThousandSequentialConnectionsEachCompleteWithoutARetransmissionTimeout() throws IOException {
        try (StackHarness h = stacks.harness()) {
            PublishedTcpPort port = h.onLoop(() -> h.stack.publishTcp(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0, GUEST_PORT));
            InetSocketAddress address = h.onLoop(port::localAddress);
            Map<Integer, TimeWait> timeWait = new HashMap<>();
            int clientPort = 20000 + ThreadLocalRandom.current().nextInt(20000);
            for (int i = 0; i < CONNECTIONS; i++) {
                try (Socket client = new Socket()) {
                    client.setReuseAddress(true);
                    // Another loopback address each time, the same port: the same tuple inside the guest.
                    InetAddress from = InetAddress.getByAddress(new byte[] {127, 0, 1, (byte) (1 + i % 250)});
                    try {
                        client.bind(new InetSocketAddress(from, clientPort));
                    } catch (BindException e) {
                        client.bind(new InetSocketAddress(from, 0));
                    }
                    client.setSoTimeout(5000);
                    client.connect(address, 5000);
                    if (i == 0) {
                        // Nothing heard from the guest yet: the stack asks for its MAC; the SYN must not be lost.
                        Parsed arp = h.next(f -> f.ethType() == 0x0806);
                        h.send(arpReply(GUEST_MAC, GUEST, arp.ethSrc(), GATEWAY));
                    }
                    connection(h, client, timeWait, i);
                }
            }
            assertEquals(0, h.counter(Counter.TCP_RETRANSMITS), "no connection waited for a retransmission");
        }
    }

    private static Parsed toGuest(StackHarness h, int flags) {
        Parsed p = h.next(f -> f.isTcp() && f.dstPort() == GUEST_PORT && (f.flags() & flags) == flags);
        p.checkL4();
        assertEquals(GUEST, p.ipDst());
        return p;
    }

    private static void connection(StackHarness h, Socket client, Map<Integer, TimeWait> timeWait, int i)
            throws IOException {
        Parsed syn = toGuest(h, SYN);
        int from = syn.srcPort();
        TimeWait tw = timeWait.remove(from);
        if (tw != null && syn.seq() - tw.rcvNxt() <= 0) {
            // Linux's TIME-WAIT answer to a SYN behind the old connection: an ACK of the old one.
            h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, from, tw.sndNxt(), tw.rcvNxt(), ACK, 65535, NONE, NONE));
            Parsed rst = toGuest(h, RST);
            assertEquals(tw.rcvNxt(), rst.seq(), "the RST ends the old connection");
            syn = toGuest(h, SYN);
            assertEquals(from, syn.srcPort());
        }
        int iss = syn.seq();
        int g = i * 100_003;
        h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, from, g, iss + 1, SYN | ACK, 65535, synOptions(1460, 7),
                NONE));
        toGuest(h, ACK);
        // The server answers and closes first, which leaves TIME-WAIT on its side.
        h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, from, g + 1, iss + 1, ACK | PSH | FIN, 65535, NONE,
                new byte[] {'x'}));
        InputStream in = client.getInputStream();
        assertEquals('x', in.read(), "connection " + i);
        assertEquals(-1, in.read());
        client.close();
        Parsed fin = toGuest(h, FIN);
        assertEquals(iss + 1, fin.seq());
        h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, from, g + 3, fin.seq() + 1, ACK, 65535, NONE, NONE));
        timeWait.put(from, new TimeWait(fin.seq() + 1, g + 3));
    }
}
