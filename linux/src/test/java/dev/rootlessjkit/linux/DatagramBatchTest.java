package dev.rootlessjkit.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Batches keep every datagram exact, whatever the kernel makes of them on the way: runs of equal-sized datagrams
 * (the ones that go out as one UDP_SEGMENT message) with and without a shorter last one, 0-byte datagrams, runs
 * longer than a segmented message may carry, the largest IPv4 payload; to a connected socket and to a named
 * destination; and again one by one where the route refuses segmented messages.
 */
@Timeout(60)
class DatagramBatchTest {
    private static final byte[] LOOPBACK = {127, 0, 0, 1};
    private static final InetAddress LOOPBACK_ADDRESS = InetAddress.getLoopbackAddress();

    private final Sockets sockets = Sockets.load();

    @Test
    void smallDatagramsInRunsArriveExactlyBothWays() throws Exception {
        final List<Integer> sizes = new ArrayList<>(List.of(0, 5, 5, 5, 3, 0, 0, 1, 2, 2));
        for (int i = 0; i < 10; i++) {
            sizes.add(1400);
        }
        sizes.addAll(List.of(700, 1000, 1000, 1000, 1001, 1472));
        for (int i = 0; i < 70; i++) {
            sizes.add(100); // longer than one segmented message may be
        }
        relaysExactly(sizes, 128);
    }

    @Test
    void largestDatagramsArriveExactly() throws Exception {
        relaysExactly(List.of(65507, 0, 30000, 30000, 5000, 65507), 8);
    }

    @Test
    void moreDatagramsThanSlotsWaitForTheNextReceive() throws Exception {
        final List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            sizes.add(i % 3 == 0 ? 0 : 200);
        }
        relaysExactly(sizes, 16);
    }

    /** lo's MTU below the segment size: the kernel refuses the segmented message, the datagrams go one by one. */
    @Test
    void aRouteThatRefusesSegmentsGetsTheDatagramsOneByOne() throws Exception {
        OwnNetworkNamespace.call(() -> {
            final Process ip = new ProcessBuilder("ip", "link", "set", "lo", "up", "mtu", "1280").inheritIO()
                    .start();
            assertEquals(0, ip.waitFor());
            final List<Integer> sizes = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                sizes.add(1400);
            }
            assertTrue(relaysExactly(sizes, 16), "the kernel took segments larger than lo's MTU");
            return null;
        });
    }

    /**
     * Sends {@code sizes} from a client to a socket the batch receives on, forwards what one or more receives get
     * to a server over a connected socket, then sends the same datagrams back to the client by its address.
     * Returns whether a send found segmented messages refused.
     */
    private boolean relaysExactly(List<Integer> sizes, int slots) throws Exception {
        final DatagramBatch batch = DatagramBatch.allocate(slots);
        final Random random = new Random(sizes.hashCode());
        final List<byte[]> sent = new ArrayList<>();
        for (int size : sizes) {
            final byte[] datagram = new byte[size];
            random.nextBytes(datagram);
            sent.add(datagram);
        }
        final int port;
        try (DatagramSocket probe = new DatagramSocket(0, LOOPBACK_ADDRESS)) {
            port = probe.getLocalPort();
        }
        final int relay = sockets.bindInet(Sockets.Type.DGRAM, LOOPBACK, port, false, 0, "relay");
        boolean refused = false;
        try (batch; DatagramChannel client = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK_ADDRESS, 0));
                DatagramChannel server = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK_ADDRESS, 0))) {
            final int toServer = sockets.connectInet(Sockets.Type.DGRAM, LOOPBACK,
                    ((InetSocketAddress) server.getLocalAddress()).getPort(), "server").fd();
            try {
                for (byte[] datagram : sent) {
                    client.send(ByteBuffer.wrap(datagram), new InetSocketAddress(LOOPBACK_ADDRESS, port));
                }
                final byte[] clientName = new byte[DatagramBatch.NAME_BYTES];
                int clientNameLength = 0;
                int received = 0;
                while (received < sent.size()) {
                    final int n = batch.receive(relay);
                    assertTrue(n > 0, "receive: " + n);
                    for (int i = 0; i < n; i++) {
                        assertEquals(sent.get(received + i).length, batch.length(i), "datagram " + (received + i));
                        assertTrue(batch.sameSender(0, i));
                    }
                    clientNameLength = batch.copySender(0, clientName);
                    assertEquals(n, batch.send(toServer, 0, n, null, 0, true));
                    refused |= batch.segmentRefused();
                    assertEquals(0, batch.lastError());
                    assertEquals(n, batch.send(relay, 0, n, clientName, clientNameLength, true));
                    refused |= batch.segmentRefused();
                    received += n;
                }
                assertEquals(-Errno.EAGAIN, batch.receive(relay));
                assertEquals(client.getLocalAddress(), DatagramBatch.address(clientName, clientNameLength));
                assertArrivedExactly(sent, server);
                assertArrivedExactly(sent, client);
            } finally {
                sockets.close(toServer);
            }
        } finally {
            sockets.close(relay);
        }
        return refused;
    }

    private static void assertArrivedExactly(List<byte[]> sent, DatagramChannel to) throws Exception {
        final ByteBuffer buf = ByteBuffer.allocate(65536);
        for (int i = 0; i < sent.size(); i++) {
            buf.clear();
            assertTrue(to.receive(buf) != null);
            buf.flip();
            assertArrayEquals(sent.get(i), Arrays.copyOf(buf.array(), buf.limit()), "datagram " + i);
        }
        to.configureBlocking(false);
        buf.clear();
        assertFalse(to.receive(buf) != null, "more datagrams than were sent");
    }
}
