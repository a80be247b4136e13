package dev.rootlessjkit.net.lxcusernic;

import static dev.rootlessjkit.net.lxcusernic.DhcpMessageTest.CLIENT;
import static dev.rootlessjkit.net.lxcusernic.DhcpMessageTest.MAC;
import static dev.rootlessjkit.net.lxcusernic.DhcpMessageTest.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.net.api.NetworkDriverException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The client against a scripted server: its answers, and the noise a bridge carries besides them. */
class DhcpClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** Answers each client message with what {@code answer} makes of it (nothing for null), queued as packets. */
    private static final class ScriptedServer implements DhcpTransport {
        final List<DhcpMessage> received = new ArrayList<>();
        final Deque<byte[]> pending = new ArrayDeque<>();
        final Function<DhcpMessage, List<byte[]>> answer;

        ScriptedServer(Function<DhcpMessage, List<byte[]>> answer) {
            this.answer = answer;
        }

        @Override
        public void send(byte[] packet) {
            final int offset = 28;
            try {
                final DhcpMessage m = DhcpMessage.parse(packet, offset, packet.length - offset);
                received.add(m);
                pending.addAll(answer.apply(m));
            } catch (DhcpFormatException e) {
                throw new AssertionError("the client sent a malformed message", e);
            }
        }

        @Override
        public int receive(byte[] into, int timeoutMillis) {
            final byte[] next = pending.poll();
            if (next == null) {
                return -1;
            }
            final int n = Math.min(next.length, into.length);
            System.arraycopy(next, 0, into, 0, n);
            return n;
        }
    }

    private static byte[] answer(DhcpMessage request, int type, int xid, long mac, List<Integer> routers) {
        return DhcpMessageTest.reply(new DhcpMessage(DhcpMessage.BOOTREPLY, xid, 0, 0,
                type == DhcpMessage.NAK ? 0 : CLIENT, mac, type, SERVER, 0, 0xffffff00, routers, List.of(SERVER),
                1200).encode());
    }

    /** The server's answer, preceded by what else the bridge carries: noise, other clients' answers. */
    private static List<byte[]> noisyAnswer(DhcpMessage request, int type) {
        final List<byte[]> packets = new ArrayList<>();
        packets.add(new byte[] {0x45, 0, 0});
        packets.add(new byte[2048]);
        packets.add(answer(request, type, request.xid() + 1, MAC, List.of(SERVER)));
        packets.add(answer(request, type, request.xid(), MAC + 1, List.of(SERVER)));
        packets.add(answer(request, type, request.xid(), MAC, List.of(SERVER)));
        return packets;
    }

    private static DhcpClient client(DhcpTransport transport, Duration timeout) {
        final AtomicInteger xids = new AtomicInteger(100);
        return new DhcpClient(transport, MAC, xids::incrementAndGet, timeout, "rootlessjkit-test");
    }

    @Test
    void discoverOfferRequestAckThroughNoise() throws Exception {
        final ScriptedServer server = new ScriptedServer(m -> noisyAnswer(m,
                m.type() == DhcpMessage.DISCOVER ? DhcpMessage.OFFER : DhcpMessage.ACK));
        final DhcpLease lease = client(server, TIMEOUT).acquire();

        assertEquals(new DhcpLease(CLIENT, 24, SERVER, List.of(SERVER), SERVER, 1200), lease);
        assertEquals(List.of(DhcpMessage.DISCOVER, DhcpMessage.REQUEST),
                server.received.stream().map(DhcpMessage::type).toList());
        final DhcpMessage request = server.received.get(1);
        assertEquals(CLIENT, request.requestedAddress());
        assertEquals(SERVER, request.serverId());
        assertEquals(server.received.get(0).xid(), request.xid());
    }

    @Test
    void aNakStartsOverWithANewTransaction() throws Exception {
        final AtomicInteger requests = new AtomicInteger();
        final ScriptedServer server = new ScriptedServer(m -> List.of(answer(m, m.type() == DhcpMessage.DISCOVER
                ? DhcpMessage.OFFER : requests.incrementAndGet() == 1 ? DhcpMessage.NAK : DhcpMessage.ACK, m.xid(),
                MAC, List.of(SERVER))));
        assertEquals(CLIENT, client(server, TIMEOUT).acquire().address());
        assertEquals(4, server.received.size());
        assertTrue(server.received.get(2).xid() != server.received.get(0).xid());
    }

    @Test
    void nakForEverEndsAfterTheRestartBound() {
        final ScriptedServer server = new ScriptedServer(m -> List.of(answer(m, m.type() == DhcpMessage.DISCOVER
                ? DhcpMessage.OFFER : DhcpMessage.NAK, m.xid(), MAC, List.of(SERVER))));
        final NetworkDriverException e = assertThrows(NetworkDriverException.class,
                () -> client(server, TIMEOUT).acquire());
        assertTrue(e.getMessage().contains("DHCPNAK"), e.getMessage());
        assertEquals(2 * (DhcpClient.MAX_RESTARTS + 1), server.received.size());
    }

    @Test
    void silenceEndsAtTheDeadlineAfterRetransmissions() {
        final ScriptedServer server = new ScriptedServer(m -> List.of());
        final DhcpTransport slow = new DhcpTransport() {
            @Override
            public void send(byte[] packet) {
                server.send(packet);
            }

            @Override
            public int receive(byte[] into, int timeoutMillis) {
                try {
                    Thread.sleep(timeoutMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return -1;
            }
        };
        final NetworkDriverException e = assertThrows(NetworkDriverException.class,
                () -> client(slow, Duration.ofMillis(2500)).acquire());
        assertTrue(e.getMessage().startsWith("no answer to DHCPDISCOVER"), e.getMessage());
        // One DISCOVER a second: at 0, 1 and 2 s, and one more if the last wait ends a hair before the deadline.
        assertTrue(server.received.size() >= 3 && server.received.size() <= 4, "sent " + server.received.size());
    }

    @Test
    void anAckWithoutRouterIsRefused() {
        final ScriptedServer server = new ScriptedServer(m -> List.of(answer(m, m.type() == DhcpMessage.DISCOVER
                ? DhcpMessage.OFFER : DhcpMessage.ACK, m.xid(), MAC, List.of())));
        final NetworkDriverException e = assertThrows(NetworkDriverException.class,
                () -> client(server, TIMEOUT).acquire());
        assertTrue(e.getMessage().contains("named no router"), e.getMessage());
    }

    @Test
    void renewKeepsTheAddress() throws Exception {
        final ScriptedServer server = new ScriptedServer(m -> List.of(answer(m, DhcpMessage.ACK, m.xid(), MAC,
                List.of(SERVER))));
        final DhcpLease lease = new DhcpLease(CLIENT, 24, SERVER, List.of(SERVER), SERVER, 60);
        assertEquals(1200, client(server, TIMEOUT).renew(lease).leaseSeconds());
        final DhcpMessage request = server.received.get(0);
        assertEquals(DhcpMessage.REQUEST, request.type());
        assertEquals(CLIENT, request.clientAddress());
        assertEquals(0, request.requestedAddress());

        final DhcpLease elsewhere = new DhcpLease(CLIENT + 1, 24, SERVER, List.of(SERVER), SERVER, 60);
        assertThrows(NetworkDriverException.class, () -> client(server, TIMEOUT).renew(elsewhere));
    }

    @Test
    void clientIdentifierFollowsTheStateDirectory() {
        final String id = LxcUserNicChildDriver.clientId(java.nio.file.Path.of("/run/user/1000/dockerd-rootless"));
        assertEquals(id, LxcUserNicChildDriver.clientId(java.nio.file.Path.of("/run/user/1000/./dockerd-rootless/")));
        assertTrue(!id.equals(LxcUserNicChildDriver.clientId(java.nio.file.Path.of("/tmp/rootlessjkit1"))));
        assertTrue(id.length() <= DhcpMessage.MAX_CLIENT_ID, id);
    }

    @Test
    void macOfInterfaceBytes() {
        assertEquals(MAC, LxcUserNicChildDriver.macOf(new byte[] {0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f}));
    }
}
