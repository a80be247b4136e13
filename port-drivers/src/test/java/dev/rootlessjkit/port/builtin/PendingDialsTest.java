package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.Errno;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Connects that do not complete at once, against a listener whose full accept queue drops SYNs. */
@Timeout(60)
class PendingDialsTest {
    private static final byte[] LOOPBACK = {127, 0, 0, 1};

    private final Sockets sockets = Sockets.load();

    /**
     * Dials added in bursts, the next burst once the last one finished: every one must be watched and finish once
     * SYNs pass. A wake-up lost in one burst would leave a later dial unwatched until some other dial finishes,
     * and the first dial of an idle watcher unwatched for good.
     */
    @Test
    void everyDialOfEveryBurstFinishesOnceTheTargetAccepts() throws Exception {
        try (PendingDials dials = new PendingDials(sockets, new Log("test", false))) {
            for (int round = 0; round < 4; round++) {
                burst(dials, round == 0 ? 60 : 1 + round * 7);
            }
        }
    }

    private void burst(PendingDials dials, int n) throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final List<SocketChannel> held = fill(target);
            final CountDownLatch done = new CountDownLatch(n);
            final Map<Integer, Integer> errnos = new ConcurrentHashMap<>();
            for (int i = 0; i < n; i++) {
                final Sockets.Connecting c = sockets.connectInet(Sockets.Type.STREAM, LOOPBACK,
                        target.getLocalPort(), "target");
                assertFalse(c.completed(), "the accept queue should be full");
                final int id = i;
                assertTrue(dials.add(c.fd(), "target", 20_000, (errno, fd) -> {
                    errnos.put(id, errno);
                    if (fd >= 0) {
                        sockets.close(fd);
                    }
                    done.countDown();
                }));
            }
            Peers.daemon(() -> {
                while (!target.isClosed()) {
                    try (Socket s = target.accept()) {
                        s.getLocalPort();
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            assertTrue(done.await(10, TimeUnit.SECONDS), (n - done.getCount()) + " of " + n + " finished");
            errnos.forEach((id, errno) -> assertEquals(0, errno, "dial " + id));
            for (SocketChannel c : held) {
                c.close();
            }
        }
    }

    @Test
    void boundedPerTargetAndTimedOut() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                PendingDials dials = new PendingDials(sockets, new Log("test", false))) {
            final List<SocketChannel> held = fill(target);
            final CountDownLatch timedOut = new CountDownLatch(PendingDials.MAX_PER_TARGET);
            for (int i = 0; i < PendingDials.MAX_PER_TARGET; i++) {
                final Sockets.Connecting c = sockets.connectInet(Sockets.Type.STREAM, LOOPBACK,
                        target.getLocalPort(), "target");
                assertTrue(dials.add(c.fd(), "target", 300, (errno, fd) -> {
                    if (errno == Errno.ETIMEDOUT) {
                        timedOut.countDown();
                    }
                }));
            }
            final Sockets.Connecting extra = sockets.connectInet(Sockets.Type.STREAM, LOOPBACK,
                    target.getLocalPort(), "target");
            assertFalse(dials.add(extra.fd(), "target", 300, (errno, fd) -> { }));
            sockets.close(extra.fd());
            assertTrue(timedOut.await(10, TimeUnit.SECONDS));
            for (SocketChannel c : held) {
                c.close();
            }
        }
    }

    /** Fills the accept queue of a backlog-1 listener, so that further SYNs are dropped. */
    private static List<SocketChannel> fill(ServerSocket target) throws Exception {
        final List<SocketChannel> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            final SocketChannel c = SocketChannel.open();
            c.configureBlocking(false);
            c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target.getLocalPort()));
            held.add(c);
        }
        Thread.sleep(100);
        return held;
    }
}
