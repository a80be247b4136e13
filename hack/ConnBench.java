import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;

/**
 * Short connections per second through a published port, for hack/benchmark-port.sh, with both ends cheap enough
 * that the relay between them sets the rate. busybox httpd forks a process per request and Python's threads take
 * turns at one lock: with them every implementation measured the same few hundred connections per second.
 * Each end here is one thread on one selector, allocating next to nothing per connection.
 *
 * <pre>
 *   java hack/ConnBench.java serve PORT
 *       inside the namespace: answers each HTTP/1.0 request (read up to its blank line) with a fixed 100-byte
 *       200 response, then closes; runs until killed.
 *   java hack/ConnBench.java load PORT SECONDS CONCURRENCY [WARMUP_SECONDS]
 *       on the host: waits (up to 30 s) for one good response from 127.0.0.1:PORT, the server inside may still
 *       be starting; then keeps CONCURRENCY connections in flight for WARMUP_SECONDS (default 0) unmeasured and
 *       SECONDS measured, each one connect, request, response read to EOF, close. Prints
 *       "CONNS_PER_SECOND ERRORS P50_MS P99_MS SERVED", the percentiles from connect to end of response over the
 *       successful measured connections, SERVED the successful ones warm-up included (for CPU per connection).
 * </pre>
 * A benchmark tool, not a server to expose: it binds only what it is told and answers nothing but the one
 * response.
 */
public final class ConnBench {
    private static final byte[] REQUEST = "GET / HTTP/1.0\r\nHost: bench\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSE = ("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n"
            + "x".repeat(100)).getBytes(StandardCharsets.US_ASCII);
    /** A request longer than this without its blank line is answered with 400 and closed: the buffer's bound. */
    private static final int MAX_REQUEST = 1024;
    private static final long TIMEOUT_NANOS = 5_000_000_000L;

    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("serve")) {
            serve(Integer.parseInt(args[1]));
        } else if ((args.length == 4 || args.length == 5) && args[0].equals("load")) {
            final InetSocketAddress target = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]));
            final int concurrency = Integer.parseInt(args[3]);
            if (!ready(target)) {
                System.err.println("ConnBench: no good response from " + target + " within 30 s");
                System.exit(1);
            }
            final int warmedUp = args.length == 5 ? load(target, Double.parseDouble(args[4]), concurrency).done : 0;
            final Result r = load(target, Double.parseDouble(args[2]), concurrency);
            System.out.printf("%.0f %d %.2f %.2f %d%n", r.perSecond, r.errors, r.p50Millis, r.p99Millis,
                    warmedUp + r.done);
        } else {
            System.err.println("usage: ConnBench serve PORT"
                    + " | ConnBench load PORT SECONDS CONCURRENCY [WARMUP_SECONDS]");
            System.exit(2);
        }
    }

    // ---- server ----

    private static void serve(int port) throws IOException {
        final Selector selector = Selector.open();
        final ServerSocketChannel listener = ServerSocketChannel.open();
        listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        listener.bind(new InetSocketAddress(port), 4096);
        listener.configureBlocking(false);
        listener.register(selector, SelectionKey.OP_ACCEPT);
        final ByteBuffer response = ByteBuffer.wrap(RESPONSE);
        while (true) {
            selector.select();
            final Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                final SelectionKey key = keys.next();
                keys.remove();
                if (key.channel() == listener) {
                    SocketChannel c;
                    while ((c = listener.accept()) != null) {
                        c.configureBlocking(false);
                        final ByteBuffer request = ByteBuffer.allocate(MAX_REQUEST);
                        // The request has often arrived with the connection: answer it without a selector round.
                        if (!answer(c, request, response)) {
                            c.register(selector, SelectionKey.OP_READ, request);
                        }
                    }
                } else if (answer((SocketChannel) key.channel(), (ByteBuffer) key.attachment(), response)) {
                    key.cancel();
                }
            }
        }
    }

    /** Reads what has come of the request; once it is whole, answers and closes. Returns whether it closed. */
    private static boolean answer(SocketChannel c, ByteBuffer request, ByteBuffer response) {
        try {
            final int n = c.read(request);
            if (n < 0) {
                c.close();
                return true;
            }
            if (!complete(request)) {
                if (request.hasRemaining()) {
                    return false;
                }
                c.write(ByteBuffer.wrap("HTTP/1.0 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            } else {
                // 170 bytes always fit a fresh socket's send buffer: one write sends them all.
                c.write(response.duplicate());
            }
            c.close();
        } catch (IOException e) {
            closeQuietly(c);
        }
        return true;
    }

    private static boolean complete(ByteBuffer request) {
        final byte[] b = request.array();
        for (int i = 3; i < request.position(); i++) {
            if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                return true;
            }
        }
        return false;
    }

    // ---- load ----

    /** One connection in flight: when it started, and what has come back of its response. */
    private static final class Flight {
        final long started = System.nanoTime();
        final ByteBuffer response = ByteBuffer.allocate(RESPONSE.length + 64);
    }

    private record Result(int done, double perSecond, int errors, double p50Millis, double p99Millis) {
    }

    /** Whether one connection got a good response within 30 s of tries. */
    private static boolean ready(InetSocketAddress target) throws IOException {
        final long stop = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < stop) {
            if (load(target, 0, 1).errors == 0) {
                return true;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** Connections for {@code seconds}, at least one. */
    private static Result load(InetSocketAddress target, double seconds, int concurrency) throws IOException {
        final Selector selector = Selector.open();
        final long start = System.nanoTime();
        final long stop = start + (long) (seconds * 1e9);
        long[] latencies = new long[1 << 16];
        int done = 0;
        int errors = 0;
        int inFlight = 0;
        boolean first = true;
        while (true) {
            final long now = System.nanoTime();
            while ((now < stop || first) && inFlight < concurrency) {
                first = false;
                if (launch(selector, target)) {
                    inFlight++;
                } else {
                    errors++;
                }
            }
            if (inFlight == 0) {
                break;
            }
            selector.select(100);
            final Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                final SelectionKey key = keys.next();
                keys.remove();
                final SocketChannel c = (SocketChannel) key.channel();
                final Flight f = (Flight) key.attachment();
                final int outcome = advance(key, c, f);
                if (outcome == 0) {
                    continue;
                }
                inFlight--;
                if (outcome > 0) {
                    if (done == latencies.length) {
                        latencies = Arrays.copyOf(latencies, done * 2);
                    }
                    latencies[done++] = System.nanoTime() - f.started;
                } else {
                    errors++;
                }
            }
            final long late = System.nanoTime() - TIMEOUT_NANOS;
            for (SelectionKey key : selector.keys()) {
                if (key.isValid() && ((Flight) key.attachment()).started < late) {
                    closeQuietly((SocketChannel) key.channel());
                    inFlight--;
                    errors++;
                }
            }
        }
        selector.close();
        Arrays.sort(latencies, 0, done);
        return new Result(done, done / Math.max(seconds, 1e-9), errors, percentile(latencies, done, 0.50),
                percentile(latencies, done, 0.99));
    }

    private static boolean launch(Selector selector, InetSocketAddress target) {
        SocketChannel c = null;
        try {
            c = SocketChannel.open();
            c.configureBlocking(false);
            final Flight f = new Flight();
            if (c.connect(target)) {
                c.write(ByteBuffer.wrap(REQUEST));
                c.register(selector, SelectionKey.OP_READ, f);
            } else {
                c.register(selector, SelectionKey.OP_CONNECT, f);
            }
            return true;
        } catch (IOException e) {
            if (c != null) {
                closeQuietly(c);
            }
            return false;
        }
    }

    /** 0: still in flight; 1: a whole 200 response and EOF; -1: failed. Closes the channel unless 0. */
    private static int advance(SelectionKey key, SocketChannel c, Flight f) {
        try {
            if (key.isConnectable()) {
                c.finishConnect();
                // The request fits a fresh socket's send buffer.
                c.write(ByteBuffer.wrap(REQUEST));
                key.interestOps(SelectionKey.OP_READ);
                return 0;
            }
            final int n = c.read(f.response);
            if (n >= 0 && f.response.hasRemaining()) {
                return 0;
            }
            c.close();
            return n < 0 && ok(f.response) ? 1 : -1;
        } catch (IOException e) {
            closeQuietly(c);
            return -1;
        }
    }

    private static boolean ok(ByteBuffer response) {
        final byte[] status = " 200 ".getBytes(StandardCharsets.US_ASCII);
        final byte[] b = response.array();
        outer:
        for (int i = 0; i + status.length <= response.position() && b[i] != '\r'; i++) {
            for (int j = 0; j < status.length; j++) {
                if (b[i + j] != status[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static double percentile(long[] sorted, int count, double p) {
        return count == 0 ? 0 : sorted[Math.min(count - 1, (int) (count * p))] / 1e6;
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // Closing a socket that failed: nothing left to do.
        }
    }
}
