package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.Errno;
import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.TcpPortTraffic;
import java.io.FileInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What {@link TcpRelays} does when the process has no fds left for a relay's pipes. */
@Timeout(60)
class TcpRelaysTest {
    private final Sockets sockets = Sockets.load();

    /** Keeps the relay it was given and learns when it ends. */
    private static final class Owner implements TcpRelay.Owner {
        final CompletableFuture<TcpRelay> started = new CompletableFuture<>();
        final CompletableFuture<Void> ended = new CompletableFuture<>();

        @Override
        public boolean track(TcpRelay relay) {
            started.complete(relay);
            return true;
        }

        @Override
        public void untrack(TcpRelay relay) {
            ended.complete(null);
        }

        @Override
        public TcpPortTraffic traffic() {
            return new TcpPortTraffic();
        }
    }

    /**
     * With every fd of the process in use, pipe2 fails with EMFILE: the connection is relayed through buffers
     * instead, both ways, and nothing is left reserved for pipes.
     */
    @Test
    void pipesRefusedWithEmfileRelayThroughBuffers() throws Exception {
        try (TcpRelays relays = new TcpRelays(1, 1000, TcpRelays.PIPE_BYTES, new Log("test", false))) {
            // The first relay starts the loop (its epoll and eventfd) while fds are plentiful.
            final int[] a = tcpPair();
            final int[] b = tcpPair();
            final Owner first = new Owner();
            assertTrue(relays.relay(a[0], b[0], first));
            final TcpRelay spliced = first.started.get(5, TimeUnit.SECONDS);
            assertTrue(spliced.splices());
            spliced.closeAsync().get(5, TimeUnit.SECONDS);
            assertEquals(0, relays.pipeFdsInUse());
            sockets.close(a[1]);
            sockets.close(b[1]);

            final int[] c = tcpPair();
            final int[] d = tcpPair();
            final Owner second = new Owner();
            final TcpRelay buffered;
            final List<FileInputStream> filler = new ArrayList<>();
            try {
                try {
                    while (true) {
                        filler.add(new FileInputStream("/dev/null"));
                    }
                } catch (IOException e) {
                    // EMFILE: every fd is taken
                }
                assertTrue(relays.relay(c[0], d[0], second));
                buffered = second.started.get(5, TimeUnit.SECONDS);
            } finally {
                for (FileInputStream f : filler) {
                    f.close();
                }
            }
            assertFalse(buffered.splices());
            assertEquals(0, relays.pipeFdsInUse());
            // c[1] is the client's end, d[1] the server's: one byte each way through the relay.
            sockets.send(c[1], new byte[] {42}, -1);
            assertEquals(42, receiveOne(d[1]));
            sockets.send(d[1], new byte[] {7}, -1);
            assertEquals(7, receiveOne(c[1]));
            buffered.closeAsync().get(5, TimeUnit.SECONDS);
            second.ended.get(5, TimeUnit.SECONDS);
            sockets.close(c[1]);
            sockets.close(d[1]);
        }
    }

    /** Two ends of a TCP connection on loopback, both non-blocking, as the relays get them. */
    private int[] tcpPair() throws Exception {
        final byte[] loopback = {127, 0, 0, 1};
        final int port = Peers.freePort();
        final int listener = sockets.bindInet(Sockets.Type.STREAM, loopback, port, false, 1, "127.0.0.1:" + port);
        try {
            final int connecting = sockets.connectInet(Sockets.Type.STREAM, loopback, port, "127.0.0.1").fd();
            for (int i = 0; i < 500; i++) {
                final Sockets.Accepted accepted = sockets.acceptInet(listener);
                if (accepted != null) {
                    return new int[] {connecting, accepted.fd()};
                }
                Thread.sleep(10);
            }
            throw new AssertionError("no connection on loopback");
        } finally {
            sockets.close(listener);
        }
    }

    /** The next byte from a non-blocking socket, waiting up to 5 s for it. */
    private int receiveOne(int fd) throws Exception {
        final byte[] got = new byte[1];
        for (int i = 0; i < 500; i++) {
            try {
                assertEquals(1, sockets.receive(fd, got).length());
                return got[0];
            } catch (SocketCallException empty) {
                assertEquals(Errno.EAGAIN, empty.errno());
                Thread.sleep(10);
            }
        }
        throw new AssertionError("nothing arrived within 5 s");
    }
}
