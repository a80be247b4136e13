package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.log.Log;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The builtin driver's TCP relays, splice and buffer, against real sockets on loopback: every byte arrives once
 * and in order (byte counts and CRC32C of both directions compared) whatever the order of the half-closes; resets
 * and closing the port end both sides and give back every fd; a peer that stops reading stops the sender without
 * the relay buffering or spinning.
 */
@Timeout(120)
class TcpRelayTest {
    /** The threads of the relays' loops. */
    private static final String RELAY_THREADS = "builtin-port-tcp-";
    private static final int BLOCK_BYTES = 4 << 20;
    private static final int MAX_WRITE = 256 << 10;
    private static final long SLOW_READER_PAUSE_EVERY = 4 << 20;
    /** Every test's sender writes slices of this at random offsets and of random lengths. */
    private static final byte[] BLOCK = new byte[BLOCK_BYTES];

    static {
        new Random(42).nextBytes(BLOCK);
    }

    @TempDir
    Path state;

    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        final Thread t = new Thread(r, "relay-test-peer");
        t.setDaemon(true);
        return t;
    });
    private final List<AutoCloseable> closeLast = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = closeLast.size() - 1; i >= 0; i--) {
            closeLast.get(i).close();
        }
        threads.shutdownNow();
    }

    /** What one side sent or received. */
    private record Tally(long bytes, long crc) {
    }

    /** In which order the server sends its part and reads the client's. */
    private enum ServerOrder {
        CONCURRENT, AFTER_CLIENT_EOF, BEFORE_READING
    }

    /**
     * Connections with random sizes in both directions (none, some, hundreds of MiB) and random half-close orders:
     * the client half-closes after its part while the server still sends, the server half-closes first (before
     * reading anything), or both send at once; either reader may pause now and then, so that the end of stream
     * finds the pipe full. Four at a time over both relay loops, 3 GiB in all.
     */
    @Test
    void gibibytesBothWaysWithRandomHalfCloses() throws Exception {
        final RelayFixture fixture = fixture(RelayFixture.relays(1000, quietLog()));
        exactTransfers(fixture, 3L << 30, 24, 7);
        assertEquals(0, fixture.relays.pipeFdsInUse());
    }

    /** Relays through buffers, where pipes cannot be had, are exact in the same way. */
    @Test
    void bufferRelayIsExactToo() throws Exception {
        exactTransfers(fixture(RelayFixture.buffersOnly(quietLog())), 512L << 20, 8, 11);
    }

    private void exactTransfers(RelayFixture fixture, long totalBytes, int connections, long seed)
            throws Exception {
        final ServerSocket server = server();
        final int port = fixture.publish(server.getLocalPort()).port();
        warmUp(port, server);
        final Peers.FdSnapshot before = Peers.FdSnapshot.take();
        final Random random = new Random(seed);
        long left = totalBytes;
        for (int round = 0; round < connections / 4; round++) {
            final List<CompletableFuture<Void>> running = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                final long share = left / (connections - round * 4 - c);
                final long up = random.nextInt(6) == 0 ? 0 : (long) (random.nextDouble() * share);
                final long down = random.nextInt(6) == 0 ? 0 : share - up;
                left -= up + down;
                final ServerOrder order = ServerOrder.values()[random.nextInt(ServerOrder.values().length)];
                running.add(exchange(port, server, up, down, order, random.nextInt(4), random.nextLong()));
            }
            for (CompletableFuture<Void> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        assertEquals(Set.of(), before.stillOpenSince(), "fds the relays opened and left open");
        assertEquals(0, fixture.connections.inUse(), "connection budget slots still taken");
    }

    private CompletableFuture<Void> exchange(int port, ServerSocket server, long up, long down, ServerOrder order,
            long seed) throws IOException {
        return exchange(port, server, up, down, order, 0, seed);
    }

    /**
     * One connection: the client sends {@code up} bytes and half-closes while reading to end of stream; the
     * server does the same with {@code down} bytes in {@code order}. Bit 0 of {@code slowReaders} makes the
     * client a slow reader, bit 1 the server. Completes when both sides have checked what they received against
     * what the other sent.
     */
    private CompletableFuture<Void> exchange(int port, ServerSocket server, long up, long down, ServerOrder order,
            int slowReaders, long seed) throws IOException {
        final Socket client = new Socket(InetAddress.getLoopbackAddress(), port);
        final Socket inside = server.accept();
        final boolean slowClient = (slowReaders & 1) != 0;
        final boolean slowServer = (slowReaders & 2) != 0;
        final String what = up + " bytes up, " + down + " down, server " + order + ", slow readers "
                + slowReaders;
        final CompletableFuture<Tally> clientSent = async(() -> send(client, up, new Random(seed)));
        final CompletableFuture<Tally> clientGot = async(() -> receive(client, slowClient));
        final CompletableFuture<Tally> serverGot;
        final CompletableFuture<Tally> serverSent;
        switch (order) {
            case CONCURRENT -> {
                serverGot = async(() -> receive(inside, slowServer));
                serverSent = async(() -> send(inside, down, new Random(~seed)));
            }
            case AFTER_CLIENT_EOF -> {
                serverGot = async(() -> receive(inside, slowServer));
                serverSent = serverGot.thenApplyAsync(got -> uncheck(() -> send(inside, down, new Random(~seed))),
                        threads);
            }
            default -> {
                serverSent = async(() -> send(inside, down, new Random(~seed)));
                serverGot = serverSent.thenApplyAsync(sent -> uncheck(() -> receive(inside, slowServer)), threads);
            }
        }
        return CompletableFuture.allOf(clientSent, clientGot, serverGot, serverSent).thenRun(() -> {
            try {
                assertEquals(clientSent.join(), serverGot.join(), "upstream of " + what);
                assertEquals(serverSent.join(), clientGot.join(), "downstream of " + what);
            } finally {
                closeQuietly(client);
                closeQuietly(inside);
            }
        });
    }

    /**
     * The end of stream arrives while the pipe is full and the reader drains it a few KiB at a time: the
     * shutdown must wait for the last byte of the pipe, in both directions.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void endOfStreamWaitsForAFullPipeToDrain(boolean upstream) throws Exception {
        final RelayFixture fixture = fixture(RelayFixture.relays(1000, quietLog()));
        final ServerSocket server = new ServerSocket();
        closeLast.add(server);
        server.setReceiveBufferSize(4096);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        final int port = fixture.publish(server.getLocalPort()).port();
        for (int round = 0; round < 3; round++) {
            final Socket client = new Socket();
            client.setReceiveBufferSize(4096);
            client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            try (client; Socket inside = server.accept()) {
                final Socket sender = upstream ? client : inside;
                final Socket reader = upstream ? inside : client;
                final long seed = round;
                final CompletableFuture<Tally> sent = async(() -> send(sender, 12 << 20, new Random(seed)));
                final InputStream in = reader.getInputStream();
                final CRC32C crc = new CRC32C();
                final byte[] buf = new byte[4096];
                long total = 0;
                for (int n; (n = in.read(buf)) >= 0;) {
                    crc.update(buf, 0, n);
                    total += n;
                }
                assertEquals(sent.get(10, TimeUnit.SECONDS), new Tally(total, crc.getValue()));
            }
        }
    }

    /**
     * A reset from either side in mid-stream ends the other side's connection at once, and the relay's sockets and
     * pipes are closed.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void resetMidStreamEndsTheOtherSide(boolean clientResets) throws Exception {
        final RelayFixture fixture = fixture(RelayFixture.relays(1000, quietLog()));
        final ServerSocket server = server();
        final int port = fixture.publish(server.getLocalPort()).port();
        warmUp(port, server);
        final Peers.FdSnapshot before = Peers.FdSnapshot.take();
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port); Socket inside = server.accept()) {
            final Socket resetter = clientResets ? client : inside;
            final Socket other = clientResets ? inside : client;
            other.setSoTimeout(5000);
            final CompletableFuture<Tally> sending = async(() -> send(resetter, Long.MAX_VALUE, new Random(1)));
            final InputStream in = other.getInputStream();
            final byte[] buf = new byte[1 << 16];
            for (long got = 0; got < 8 << 20;) {
                got += in.read(buf);
            }
            resetter.setSoLinger(true, 0);
            resetter.close();
            assertTrue(sending.handle((t, e) -> e != null).get(5, TimeUnit.SECONDS), "the writer failed");
            // Whatever was in flight may still arrive; then end of stream or a reset, within the timeout.
            try {
                while (in.read(buf) >= 0) {
                    // drain
                }
            } catch (SocketException e) {
                // reset: ended as well
            }
            awaitNoPipes(fixture);
        }
        assertEquals(Set.of(), before.stillOpenSince(), "fds the relay opened and left open");
    }

    /**
     * A client that half-closes and then resets, while the server neither reads nor writes: the reset alone (an
     * EPOLLERR with nothing to move) closes the relay and the server's socket.
     */
    @Test
    void resetAfterHalfCloseClosesAnIdleRelay() throws Exception {
        final RelayFixture fixture = fixture(RelayFixture.relays(1000, quietLog()));
        final ServerSocket server = server();
        final int port = fixture.publish(server.getLocalPort()).port();
        warmUp(port, server);
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port); Socket inside = server.accept()) {
            inside.setSoTimeout(5000);
            client.getOutputStream().write(7);
            client.shutdownOutput();
            assertEquals(7, inside.getInputStream().read());
            assertEquals(-1, inside.getInputStream().read());
            assertEquals(4, fixture.relays.pipeFdsInUse());
            client.setSoLinger(true, 0);
            client.close();
            awaitNoPipes(fixture);
            // The relay closed its end: the server's writes fail, at the latest on the second one.
            assertTrue(writesFail(inside), "the server's socket is still connected");
        }
    }

    /**
     * A server that does not read: the client can write only what the sockets' buffers and one pipe hold, the relay
     * threads use no CPU meanwhile, and once the server reads, everything arrives.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aPeerThatStopsReadingStopsTheSender(boolean splice) throws Exception {
        final RelayFixture fixture = fixture(splice ? RelayFixture.relays(1000, quietLog())
                : RelayFixture.buffersOnly(quietLog()));
        final ServerSocket server = server();
        final int port = fixture.publish(server.getLocalPort()).port();
        warmUp(port, server);
        try (SocketChannel client = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                Socket inside = server.accept()) {
            client.configureBlocking(false);
            final Random random = new Random(5);
            final CRC32C sent = new CRC32C();
            long written = 0;
            for (long lastProgress = System.nanoTime(); System.nanoTime() - lastProgress < 1_000_000_000L;) {
                final int len = 1 + random.nextInt(MAX_WRITE);
                final int off = random.nextInt(BLOCK_BYTES - len);
                final int n = client.write(ByteBuffer.wrap(BLOCK, off, len));
                if (n > 0) {
                    sent.update(BLOCK, off, n);
                    written += n;
                    lastProgress = System.nanoTime();
                } else {
                    Thread.sleep(5);
                }
                assertTrue(written < 64 << 20, "the relay took " + written + " bytes from a sender"
                        + " whose receiver reads nothing");
            }
            final long cpuBefore = cpuNanos(RELAY_THREADS);
            Thread.sleep(1000);
            final long spun = cpuNanos(RELAY_THREADS) - cpuBefore;
            assertTrue(spun < 100_000_000L, "relay threads used " + spun / 1_000_000 + " ms of CPU while parked");

            final CompletableFuture<Tally> got = async(() -> receive(inside));
            client.configureBlocking(true);
            for (long more = 64 << 20; more > 0;) {
                final int len = (int) Math.min(more, 1 + random.nextInt(MAX_WRITE));
                final int off = random.nextInt(BLOCK_BYTES - len);
                client.write(ByteBuffer.wrap(BLOCK, off, len));
                sent.update(BLOCK, off, len);
                written += len;
                more -= len;
            }
            client.shutdownOutput();
            assertEquals(new Tally(written, sent.getValue()), got.get(30, TimeUnit.SECONDS));
        }
    }

    /** Removing the port closes its live relays: clients see end of stream and the pipes are closed. */
    @Test
    void closingTheForwarderClosesLiveRelays() throws Exception {
        final RelayFixture fixture = fixture(RelayFixture.relays(1000, quietLog()));
        final ServerSocket server = server();
        final RelayFixture.Published published = fixture.publish(server.getLocalPort());
        warmUp(published.port(), server);
        final Peers.FdSnapshot before = Peers.FdSnapshot.take();
        final String listener = Peers.listeningSocket(published.port());
        final List<Socket> clients = new ArrayList<>();
        final List<Socket> insides = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                final Socket c = new Socket(InetAddress.getLoopbackAddress(), published.port());
                clients.add(c);
                insides.add(server.accept());
                c.getOutputStream().write(i);
                assertEquals(i, insides.get(i).getInputStream().read());
            }
            assertEquals(3 * TcpRelays.FDS_PER_RELAY, fixture.relays.pipeFdsInUse());
            published.forwarder().close(java.time.Duration.ofSeconds(5));
            assertEquals(0, fixture.relays.pipeFdsInUse());
            for (Socket c : clients) {
                c.setSoTimeout(3000);
                assertEquals(-1, Peers.readOrReset(c));
            }
        } finally {
            clients.forEach(TcpRelayTest::closeQuietly);
            insides.forEach(TcpRelayTest::closeQuietly);
        }
        assertEquals(Set.of(), before.stillOpenSince(), "fds the relays opened and left open");
        assertTrue(Peers.closedSettled(listener), "the listener is closed as well");
    }

    /** Closing the driver's TCP relays closes the connections they carry. */
    @Test
    void closingTheTcpRelaysClosesLiveRelays() throws Exception {
        final RelayFixture fixture = fixture(RelayFixture.relays(1000, quietLog()));
        final ServerSocket server = server();
        final int port = fixture.publish(server.getLocalPort()).port();
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port); Socket inside = server.accept()) {
            client.getOutputStream().write(1);
            assertEquals(1, inside.getInputStream().read());
            fixture.relays.close();
            inside.setSoTimeout(3000);
            assertEquals(-1, Peers.readOrReset(inside));
            assertEquals(0, fixture.relays.pipeFdsInUse());
        }
    }

    /**
     * Past the fds set aside for pipes, connections go through buffers, each with one debug line saying so, and
     * are as exact as the spliced one next to them.
     */
    @Test
    void beyondThePipeBudgetTheBufferRelayTakesOver() throws Exception {
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final Log log = capturingLog(captured);
        final RelayFixture fixture = new RelayFixture(state, RelayFixture.relays(1, log), log);
        closeLast.add(fixture);
        final ServerSocket server = server();
        final int port = fixture.publish(server.getLocalPort()).port();
        final CompletableFuture<Void> spliced = exchange(port, server, 40 << 20, 30 << 20,
                ServerOrder.CONCURRENT, 1);
        awaitPipes(fixture, TcpRelays.FDS_PER_RELAY);
        final CompletableFuture<Void> buffered = exchange(port, server, 20 << 20, 50 << 20,
                ServerOrder.AFTER_CLIENT_EOF, 2);
        spliced.get(30, TimeUnit.SECONDS);
        buffered.get(30, TimeUnit.SECONDS);
        awaitNoPipes(fixture);
        for (int i = 0; i < 100 && fixture.connections.inUse() > 0; i++) {
            Thread.sleep(20);
        }
        assertEquals(0, fixture.connections.inUse(), "connection budget slots still taken");
        final List<String> lines = captured.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains("a relay through buffers")).toList();
        assertEquals(1, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).contains("fds set aside"), lines.get(0));
    }

    private RelayFixture fixture(TcpRelays relays) throws Exception {
        final RelayFixture fixture = new RelayFixture(state, relays, quietLog());
        closeLast.add(fixture);
        return fixture;
    }

    private ServerSocket server() throws IOException {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeLast.add(server);
        return server;
    }

    /**
     * One exchange, so that the loops and their epoll fds exist before fds are counted, and its relay closed
     * (which follows the peers' closes).
     */
    private void warmUp(int port, ServerSocket server) throws Exception {
        exchange(port, server, 1000, 1000, ServerOrder.CONCURRENT, 0).get(10, TimeUnit.SECONDS);
        long fds = Peers.openFds();
        for (int i = 0; i < 100; i++) {
            Thread.sleep(20);
            final long now = Peers.openFds();
            if (now == fds) {
                return;
            }
            fds = now;
        }
    }

    private static Tally send(Socket s, long bytes, Random random) throws IOException {
        final OutputStream out = s.getOutputStream();
        final CRC32C crc = new CRC32C();
        for (long left = bytes; left > 0;) {
            final int len = (int) Math.min(left, 1 + random.nextInt(MAX_WRITE));
            final int off = random.nextInt(BLOCK_BYTES - len);
            out.write(BLOCK, off, len);
            crc.update(BLOCK, off, len);
            left -= len;
        }
        s.shutdownOutput();
        return new Tally(bytes, crc.getValue());
    }

    private static Tally receive(Socket s) throws IOException {
        return receive(s, false);
    }

    /**
     * Reads to end of stream; a {@code slow} reader pauses every few MiB, so that the relay's writes to it block
     * and its pipe is full when the sender's end of stream arrives.
     */
    private static Tally receive(Socket s, boolean slow) throws IOException {
        final InputStream in = s.getInputStream();
        final CRC32C crc = new CRC32C();
        final byte[] buf = new byte[MAX_WRITE];
        long total = 0;
        long nextPause = SLOW_READER_PAUSE_EVERY;
        for (int n; (n = in.read(buf)) >= 0;) {
            crc.update(buf, 0, n);
            total += n;
            if (slow && total >= nextPause) {
                nextPause += SLOW_READER_PAUSE_EVERY;
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
        return new Tally(total, crc.getValue());
    }

    private static boolean writesFail(Socket s) throws InterruptedException {
        try {
            for (int i = 0; i < 3; i++) {
                s.getOutputStream().write(1);
                Thread.sleep(100);
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static void awaitNoPipes(RelayFixture fixture) throws InterruptedException {
        awaitPipes(fixture, 0);
    }

    private static void awaitPipes(RelayFixture fixture, long fds) throws InterruptedException {
        for (int i = 0; i < 250 && fixture.relays.pipeFdsInUse() != fds; i++) {
            Thread.sleep(20);
        }
        assertEquals(fds, fixture.relays.pipeFdsInUse());
    }

    private static long cpuNanos(String threadPrefix) {
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (var info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith(threadPrefix)) {
                total += Math.max(0, mx.getThreadCpuTime(info.getThreadId()));
            }
        }
        return total;
    }

    private static Log quietLog() {
        return new Log("test", false);
    }

    /** A debug log whose lines go to {@code into} (Log takes System.err when it is made). */
    private static Log capturingLog(ByteArrayOutputStream into) {
        final PrintStream stderr = System.err;
        System.setErr(new PrintStream(into, true, StandardCharsets.UTF_8));
        try {
            return new Log("test", true);
        } finally {
            System.setErr(stderr);
        }
    }

    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    private <T> CompletableFuture<T> async(IoSupplier<T> work) {
        return CompletableFuture.supplyAsync(() -> uncheck(work), threads);
    }

    private static <T> T uncheck(IoSupplier<T> work) {
        try {
            return work.get();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
