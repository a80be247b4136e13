package dev.rootlessjkit.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The outcomes a relay tells apart: bytes moved, EAGAIN (nothing to move yet) and 0 (end of input), which Netty's
 * splice reports alike; and a wake-up from another thread ending a blocked {@link Epoll#await}.
 */
class SpliceTest {
    private final Splice splice = Splice.load();

    @Test
    void eagainIsNotEndOfInput() throws Exception {
        final int[] from = splice.pipe();
        final int[] to = splice.pipe();
        try {
            assertEquals(-Errno.EAGAIN, splice.move(from[0], to[1], 4096));
            Files.write(Path.of("/proc/self/fd/" + from[1]), new byte[] {1, 2, 3, 4, 5});
            assertEquals(1 << 20, splice.resizePipe(to[1], 1 << 20));
            assertEquals(5, splice.move(from[0], to[1], 4096));
            assertEquals(-Errno.EAGAIN, splice.move(from[0], to[1], 4096));
            splice.close(from[1]);
            assertEquals(0, splice.move(from[0], to[1], 4096));
        } finally {
            splice.close(from[0]);
            splice.close(to[0]);
            splice.close(to[1]);
        }
    }

    @Test
    void noDelayIsForTcpSockets() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final Sockets sockets = Sockets.load();
            final int fd = sockets.connectInet(Sockets.Type.STREAM, new byte[] {127, 0, 0, 1}, server.getLocalPort(),
                    "test").fd();
            final int[] pipe = splice.pipe();
            try {
                assertEquals(0, splice.noDelay(fd));
                assertTrue(splice.noDelay(pipe[0]) < 0, "TCP_NODELAY on a pipe");
            } finally {
                sockets.close(fd);
                splice.close(pipe[0]);
                splice.close(pipe[1]);
            }
        }
    }

    /**
     * A larger receive buffer holds more of a burst that nobody reads yet: as much as net.core.rmem_max allows
     * (the kernel doubles the request for its bookkeeping, so at least the request's worth of 32 KiB payloads).
     */
    @Test
    void receiveBufferHoldsMoreOfABurst() throws Exception {
        final long rmemMax = Long.parseLong(Sysctl.read(Path.of("/proc/sys/net/core/rmem_max")));
        final long rmemDefault = Long.parseLong(Sysctl.read(Path.of("/proc/sys/net/core/rmem_default")));
        final int asked = 4 << 20;
        final int held = burstHeld(asked);
        final int heldByDefault = burstHeld(0);
        assertTrue(held >= Math.min(asked, rmemMax) / DATAGRAM, "held " + held + " of 32 KiB");
        assertTrue(heldByDefault <= 2 * rmemDefault / DATAGRAM, "held by default " + heldByDefault);
        if (rmemMax > rmemDefault) {
            assertTrue(held > heldByDefault, held + " held, " + heldByDefault + " by default");
        }
        assertTrue(splice.receiveBuffer(-1, asked) < 0, "SO_RCVBUF on no fd");
    }

    private static final int DATAGRAM = 32 << 10;

    /** How many 32 KiB datagrams of a burst of 512 a UDP socket with SO_RCVBUF {@code bytes} (0: unset) keeps. */
    private int burstHeld(int bytes) throws Exception {
        final Sockets sockets = Sockets.load();
        final int port;
        try (DatagramChannel probe = DatagramChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            port = ((InetSocketAddress) probe.getLocalAddress()).getPort();
        }
        final int fd = sockets.bindInet(Sockets.Type.DGRAM, new byte[] {127, 0, 0, 1}, port, false, 0, "test");
        try (DatagramBatch batch = DatagramBatch.allocate(64);
                DatagramChannel client = DatagramChannel.open()) {
            if (bytes > 0) {
                assertEquals(0, splice.receiveBuffer(fd, bytes));
            }
            for (int i = 0; i < 512; i++) {
                client.send(ByteBuffer.allocate(DATAGRAM),
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            }
            int held = 0;
            for (int n; (n = batch.receive(fd)) > 0;) {
                held += n;
            }
            return held;
        } finally {
            sockets.close(fd);
        }
    }

    /** The nice value is raised from the calling thread's own, and only its: the others of the process keep theirs. */
    @Test
    void niceThisThreadLowersOnlyTheCallingThreadsPriority() throws Exception {
        final long before = niceOf(Path.of("/proc/thread-self/stat"));
        final long[] inThread = new long[2];
        final Thread t = new Thread(() -> {
            try {
                inThread[0] = splice.niceThisThread(3);
                inThread[1] = niceOf(Path.of("/proc/thread-self/stat"));
            } catch (Exception e) {
                inThread[0] = Long.MIN_VALUE;
            }
        });
        t.start();
        t.join();
        assertEquals(0, inThread[0], "setpriority");
        assertEquals(before + 3, inThread[1], "the calling thread's nice value");
        assertEquals(before, niceOf(Path.of("/proc/thread-self/stat")), "another thread's nice value");
    }

    /** Field 19 of a /proc stat file: the nice value. */
    static long niceOf(Path stat) throws Exception {
        final String s = Files.readString(stat);
        return Long.parseLong(s.substring(s.lastIndexOf(')') + 2).split(" ")[16]);
    }

    @Test
    void wakeUpEndsAwait() throws Exception {
        try (Epoll epoll = Epoll.open(splice, 8)) {
            final Thread waker = new Thread(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                epoll.wakeUp();
            });
            waker.start();
            final int n = epoll.await(10_000);
            waker.join();
            assertEquals(1, n);
            assertEquals(Epoll.WAKE_UP, epoll.token(0));
            // Consumed: the next wait times out.
            assertEquals(0, epoll.await(50));
        }
    }

    @Test
    void eventsCarryTheirToken() throws Exception {
        final int[] pipe = splice.pipe();
        try (Epoll epoll = Epoll.open(splice, 8)) {
            epoll.add(pipe[0], Epoll.IN | Epoll.EDGE_TRIGGERED, 0x1234_5678_9abcL);
            assertEquals(0, epoll.await(0));
            splice.close(pipe[1]);
            assertEquals(1, epoll.await(1000));
            assertEquals(0x1234_5678_9abcL, epoll.token(0));
            assertTrue((epoll.events(0) & Epoll.HUP) != 0, "events " + epoll.events(0));
        } finally {
            splice.close(pipe[0]);
        }
    }
}
