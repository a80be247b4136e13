package dev.rootlessjkit.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The socket calls against the real kernel, on loopback and unix sockets in a temporary directory. */
class SocketsTest {
    private static final byte[] LOOPBACK = {127, 0, 0, 1};
    private static final byte[] LOOPBACK6 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    private final Sockets sockets = Sockets.load();
    private final Linux linux = Linux.load();

    @Test
    void listenUnixReplacesAStaleFileAndListensWithTheModeGiven(@TempDir Path dir) throws Exception {
        final Path socket = Files.createFile(dir.resolve("api.sock"));
        final int fd = sockets.listenUnix(socket, Sockets.Type.STREAM, true, 0600, 16);
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertTrue(client.isConnected());
            assertEquals(0140600, ((Integer) Files.getAttribute(socket, "unix:mode")) & 0177777);
            assertEquals(0, linux.awaitAnyReadable(1000, fd), "the connection waits in the backlog");
        } finally {
            sockets.close(fd);
        }
        final Path tooLong = dir.resolve("x".repeat(120));
        final SocketCallException e = assertThrows(SocketCallException.class,
                () -> sockets.listenUnix(tooLong, Sockets.Type.STREAM, false, 0600, 1));
        assertTrue(e.getMessage().contains("longer than the 107 allowed"), e.getMessage());
        assertFalse(Files.exists(tooLong));
    }

    @Test
    void anFdPassedWithAMessageArrivesAsAWorkingCopy(@TempDir Path dir) throws Exception {
        final Path path = dir.resolve("seq.sock");
        final int listener = sockets.listenUnix(path, Sockets.Type.SEQPACKET, false, 0600, 4);
        final int client = sockets.connectUnix(path, Sockets.Type.SEQPACKET);
        final int server = sockets.accept(listener);
        final int[] pipe = linux.pipe();
        try {
            sockets.send(client, "with fd".getBytes(StandardCharsets.US_ASCII), pipe[1]);
            assertTrue(sockets.trySend(client, "without".getBytes(StandardCharsets.US_ASCII), -1));
            final byte[] buf = new byte[64];
            final Sockets.Received first = sockets.receive(server, buf);
            assertEquals("with fd", new String(buf, 0, first.length(), StandardCharsets.US_ASCII));
            assertFalse(first.fdDropped());
            assertTrue(first.fd() > 2 && first.fd() != pipe[1], "a new fd: " + first.fd());
            linux.write(first.fd(), new byte[] {42}, 1);
            final byte[] got = new byte[1];
            assertEquals(1, linux.read(pipe[0], got, 1));
            assertEquals(42, got[0]);
            linux.close(first.fd());
            final Sockets.Received second = sockets.receive(server, buf);
            assertEquals("without", new String(buf, 0, second.length(), StandardCharsets.US_ASCII));
            assertEquals(-1, second.fd());
            sockets.close(client);
            assertEquals(0, sockets.receive(server, buf).length(), "end of stream once the peer closed");
        } finally {
            for (int fd : new int[] {server, listener, pipe[0], pipe[1]}) {
                sockets.close(fd);
            }
        }
    }

    @Test
    void trySendSaysFalseWhenTheBufferIsFull() throws Exception {
        final int[] pair = sockets.socketPair(Sockets.Type.SEQPACKET);
        try {
            final byte[] message = new byte[4096];
            int sent = 0;
            while (sockets.trySend(pair[0], message, -1)) {
                sent++;
                assertTrue(sent < 100_000, "a socket buffer is finite");
            }
            assertTrue(sent > 0);
            assertEquals(message.length, sockets.receive(pair[1], new byte[8192]).length());
            assertTrue(sockets.trySend(pair[0], message, -1), "room again after one message was read");
        } finally {
            sockets.close(pair[0]);
            sockets.close(pair[1]);
        }
    }

    @Test
    void inetListenersAreBoundAsAskedAndRecognisedByAddress() throws Exception {
        final int v4 = sockets.bindInet(Sockets.Type.STREAM, LOOPBACK, 0, false, 8, "127.0.0.1:0");
        final int v6 = sockets.bindInet(Sockets.Type.DGRAM, LOOPBACK6, 0, true, 0, "[::1]:0");
        try {
            final int port = boundPort(v4, LOOPBACK);
            assertTrue(sockets.isBoundTo(v4, Sockets.Type.STREAM, LOOPBACK, port));
            assertFalse(sockets.isBoundTo(v4, Sockets.Type.DGRAM, LOOPBACK, port), "another type");
            assertFalse(sockets.isBoundTo(v4, Sockets.Type.STREAM, LOOPBACK, port + 1), "another port");
            assertFalse(sockets.isBoundTo(v4, Sockets.Type.STREAM, LOOPBACK6, port), "another family");
            assertTrue(sockets.isBoundTo(v6, Sockets.Type.DGRAM, LOOPBACK6, boundPort(v6, LOOPBACK6)));
            final int[] pipe = linux.pipe();
            assertFalse(sockets.isBoundTo(pipe[0], Sockets.Type.STREAM, LOOPBACK, port), "not a socket");
            linux.close(pipe[0]);
            linux.close(pipe[1]);

            final SocketCallException inUse = assertThrows(SocketCallException.class,
                    () -> sockets.bindInet(Sockets.Type.STREAM, LOOPBACK, port, false, 8, "127.0.0.1:" + port));
            assertEquals("bind", inUse.call());
            assertEquals(Errno.EADDRINUSE, inUse.errno());
            assertEquals("address already in use", inUse.description());
            assertEquals("bind 127.0.0.1:" + port + ": Address already in use", inUse.getMessage());

            final int copy = sockets.duplicate(v4);
            assertTrue(sockets.isBoundTo(copy, Sockets.Type.STREAM, LOOPBACK, port));
            sockets.close(copy);
        } finally {
            sockets.close(v4);
            sockets.close(v6);
        }
    }

    /**
     * acceptInet takes nothing from an empty backlog, then each queued connection with the client's address, as a
     * non-blocking socket, on IPv4 and IPv6 alike.
     */
    @Test
    void acceptInetTakesQueuedConnectionsWithTheirClientsAddresses() throws Exception {
        for (byte[] address : new byte[][] {LOOPBACK, LOOPBACK6}) {
            final int listener = sockets.bindInet(Sockets.Type.STREAM, address, 0, true, 8, "loopback:0");
            try {
                final int port = boundPort(listener, address);
                assertEquals(null, sockets.acceptInet(listener), "an empty backlog");
                try (Socket client = new Socket(java.net.InetAddress.getByAddress(address), port)) {
                    final Sockets.Accepted accepted = acceptWithin5s(listener);
                    try {
                        assertEquals(client.getLocalSocketAddress(), accepted.client());
                        final byte[] buffer = new byte[1];
                        final SocketCallException empty = assertThrows(SocketCallException.class,
                                () -> sockets.receive(accepted.fd(), buffer), "the socket does not block");
                        assertEquals(Errno.EAGAIN, empty.errno());
                        client.getOutputStream().write(5);
                        for (int i = 0; i < 100; i++) {
                            try {
                                assertEquals(1, sockets.receive(accepted.fd(), buffer).length());
                                break;
                            } catch (SocketCallException notYet) {
                                Thread.sleep(10);
                            }
                        }
                        assertArrayEquals(new byte[] {5}, buffer);
                    } finally {
                        sockets.close(accepted.fd());
                    }
                }
                assertEquals(null, sockets.acceptInet(listener), "the backlog is empty again");
            } finally {
                sockets.close(listener);
            }
        }
    }

    @Test
    void aNonBlockingConnectFinishesAndReportsItsOutcome() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress())) {
            final Sockets.Connecting connecting = sockets.connectInet(Sockets.Type.STREAM, LOOPBACK,
                    server.getLocalPort(), "127.0.0.1:" + server.getLocalPort());
            final int[] wake = linux.pipe();
            try {
                final BitSet ready = connecting.completed() ? readyAll()
                        : sockets.awaitWritable(new int[] {connecting.fd()}, 1, wake[0], 5000);
                assertTrue(ready.get(0), "the connect finished");
                assertFalse(ready.get(1), "the wake pipe stayed quiet");
                assertEquals(0, sockets.connectResult(connecting.fd()));
                try (Socket accepted = server.accept()) {
                    assertEquals(server.getLocalPort(), accepted.getLocalPort());
                }
                linux.write(wake[1], new byte[] {1}, 1);
                assertTrue(sockets.awaitWritable(new int[0], 0, wake[0], 5000).get(0), "the wake fd is index count");
            } finally {
                sockets.close(connecting.fd());
                linux.close(wake[0]);
                linux.close(wake[1]);
            }
        }
        final int closedPort = freePort();
        final int[] never = linux.pipe();
        try {
            final Sockets.Connecting refused = sockets.connectInet(Sockets.Type.STREAM, LOOPBACK, closedPort, "x");
            try {
                if (!refused.completed()) {
                    sockets.awaitWritable(new int[] {refused.fd()}, 1, never[0], 5000);
                }
                assertEquals(Errno.ECONNREFUSED, sockets.connectResult(refused.fd()));
            } finally {
                sockets.close(refused.fd());
            }
        } catch (SocketCallException e) {
            assertEquals(Errno.ECONNREFUSED, e.errno(), "refused at once, or later through SO_ERROR");
        } finally {
            linux.close(never[0]);
            linux.close(never[1]);
        }
    }

    @Test
    void localAddressesAreTellable() throws Exception {
        assertTrue(sockets.isLocalAddress(LOOPBACK));
        assertFalse(sockets.isLocalAddress(new byte[] {(byte) 192, 0, 2, 77}), "TEST-NET-1 is nobody's here");
    }

    @Test
    void describeWordsErrnoAsGoDoes() {
        assertEquals("connection refused", sockets.describe(Errno.ECONNREFUSED));
        assertEquals(111, Errno.ECONNREFUSED);
        assertEquals(11, Errno.EAGAIN);
    }

    private static BitSet readyAll() {
        final BitSet all = new BitSet();
        all.set(0);
        return all;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The port the kernel gave {@code fd}: found by trying isBoundTo, since Sockets has no getsockname of its own. */
    private int boundPort(int fd, byte[] address) throws IOException {
        for (int port = 32768; port < 65536; port++) { // the ephemeral range the kernel picks from
            if (sockets.isBoundTo(fd, Sockets.Type.STREAM, address, port)
                    || sockets.isBoundTo(fd, Sockets.Type.DGRAM, address, port)) {
                return port;
            }
        }
        throw new IOException("fd " + fd + " has no port");
    }

    private Sockets.Accepted acceptWithin5s(int listener) throws Exception {
        for (int i = 0; i < 500; i++) {
            final Sockets.Accepted accepted = sockets.acceptInet(listener);
            if (accepted != null) {
                return accepted;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the queued connection was not taken within 5 s");
    }
}
