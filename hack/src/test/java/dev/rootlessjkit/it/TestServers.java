package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

/** Servers the network tests reach from inside the namespace, on the host's loopback only. */
final class TestServers {

    private TestServers() {
    }

    /** An HTTP server on 127.0.0.1 answering every request with {@code body}. */
    static HttpServer http(String body) {
        try {
            final HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
            final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            server.createContext("/", exchange -> {
                exchange.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the test HTTP server", e);
        }
    }

    /** A UDP socket on 127.0.0.1 that sends every datagram back, upper-cased, until closed. */
    static DatagramSocket udpEcho() {
        return udpEcho(InetAddress.getLoopbackAddress());
    }

    /** As {@link #udpEcho()} on {@code address}, e.g. a bridge's. */
    static DatagramSocket udpEcho(InetAddress address) {
        try {
            final DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address, 0));
            final Thread thread = new Thread(() -> {
                final byte[] buffer = new byte[2048];
                while (!socket.isClosed()) {
                    try {
                        final DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                        socket.receive(packet);
                        final byte[] reply = new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8)
                                .toUpperCase().getBytes(StandardCharsets.UTF_8);
                        socket.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "udp-echo");
            thread.setDaemon(true);
            thread.start();
            return socket;
        } catch (SocketException e) {
            throw new UncheckedIOException("cannot open the test UDP socket on " + address, e);
        }
    }

    /** Accepts one connection on {@code server} and returns the SHA-256 (hex) of all it sends. */
    static String sha256OfNextUpload(ServerSocket server) {
        try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
            final MessageDigest digest = sha256();
            final byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Accepts one connection on {@code server}, writes {@code data} to it and closes it. */
    static void sendToNextClient(ServerSocket server, byte[] data) {
        try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
            out.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The SHA-256 of {@code data} in hex, as sha256sum prints it. */
    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    /** GET {@code url}, retried until {@code limit}: a forwarder or proxy may still be starting. */
    static String fetchWithin(Duration limit, String url, Running running) {
        final Instant deadline = Instant.now().plus(limit);
        IOException last = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                final HttpURLConnection connection = (HttpURLConnection) new URL(url).openConnection();
                connection.setConnectTimeout(2000);
                connection.setReadTimeout(5000);
                try (var in = connection.getInputStream()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            } catch (IOException e) {
                last = e;
                Host.sleep(Duration.ofMillis(250));
            }
        }
        throw new AssertionError("nothing answered at " + url + " within " + limit.toSeconds() + " s: " + last
                + "\n" + running.partialOutput());
    }

    /** Waits for a server started as a process of its own to print its first line. */
    static void awaitLine(Process process, String expected) throws IOException {
        final BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        assertEquals(expected, reader.readLine(), "the test's server did not start");
    }

    /** The java of the JVM running the tests, to start servers such as {@link TinyDns} as processes. */
    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
