package dev.rootlessjkit.it;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

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
        try {
            final DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
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
            throw new UncheckedIOException("cannot open the test UDP socket", e);
        }
    }
}
