package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.synOptions;
import static dev.rootlessjkit.net.usernet.TestFrames.tcpFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A host connect that times out is reported to the guest as host unreachable, not as a refused connection. */
class TcpUnreachableTest {
    @Test
    void connectTimeoutBecomesIcmpHostUnreachable() throws IOException {
        List<SocketChannel> fillers = new ArrayList<>();
        try (TestLoop loop = new TestLoop();
                ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // Nobody accepts and the backlog is full: the kernel drops further SYNs, so a connect never completes.
            InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
            for (int i = 0; i < 4; i++) {
                SocketChannel c = SocketChannel.open();
                c.configureBlocking(false);
                c.connect(at);
                fillers.add(c);
            }
            StackHarness h = loop.harness(
                    TestConfig.defaults().mtu(1500).tcpConnectTimeout(Duration.ofMillis(300)).build());
            h.send(tcpFrame(GUEST, 41000, GATEWAY, server.getLocalPort(), 777, 0, 2, 65535, synOptions(1460, -1),
                    new byte[0]));
            Parsed p = h.next(f -> f.isIcmp());
            p.checkL4();
            assertEquals(GATEWAY, p.ipSrc());
            assertEquals(3, p.raw[p.l4()]);
            assertEquals(1, p.raw[p.l4() + 1]);
            int quoted = p.l4() + 8;
            assertEquals(6, p.raw[quoted + 9]);
            assertEquals(41000, p.b.getShort(quoted + 20) & 0xffff);
            assertEquals(server.getLocalPort(), p.b.getShort(quoted + 22) & 0xffff);
            assertEquals(777, p.b.getInt(quoted + 24));
            assertEquals(1, h.counter(Counter.TCP_CONNECT_UNREACHABLE));
            assertEquals(0, h.counter(Counter.TCP_RST_SENT));
            assertEquals(0, (int) h.onLoop(h.stack::tcpFlowCount));
            h.close();
        } finally {
            for (SocketChannel c : fillers) {
                c.close();
            }
        }
    }
}
