package dev.rootlessjkit.parent.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Sends one raw HTTP/1.1 request over a unix socket and splits the answer, so tests see exact bytes. */
final class RawHttp {
    record Response(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private RawHttp() {
    }

    static Response send(Path socket, String method, String path, String body) throws IOException {
        final StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: rootlesskit\r\n"
                + "Connection: close\r\n");
        if (body != null) {
            req.append("Content-Length: ").append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
        }
        req.append("\r\n");
        if (body != null) {
            req.append(body);
        }
        return exchange(socket, req.toString().getBytes(StandardCharsets.UTF_8));
    }

    static Response exchange(Path socket, byte[] request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            final ByteBuffer out = ByteBuffer.wrap(request);
            try {
                while (out.hasRemaining()) {
                    ch.write(out);
                }
            } catch (IOException e) {
                // The server may answer and close before reading all of an oversized request; read its answer.
            }
            final ByteArrayOutputStream all = new ByteArrayOutputStream();
            final ByteBuffer buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) >= 0) {
                all.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            final String text = all.toString(StandardCharsets.UTF_8);
            final int end = text.indexOf("\r\n\r\n");
            final String[] lines = text.substring(0, end).split("\r\n");
            final Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                final int c = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, c).toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
            }
            return new Response(Integer.parseInt(lines[0].split(" ")[1]), headers, text.substring(end + 4));
        }
    }
}
