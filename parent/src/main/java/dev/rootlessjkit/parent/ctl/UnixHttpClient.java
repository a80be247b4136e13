package dev.rootlessjkit.parent.ctl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client over a unix socket: one request per connection ({@code Connection: close}), bodies
 * by Content-Length, chunked or until end of stream (RootlessKit's Go server chunks larger responses). The JDK's
 * own unix sockets: nothing native to load, so the CLI starts quickly.
 */
final class UnixHttpClient {
    private static final int MAX_RESPONSE = 16 << 20;

    private final Path socket;

    UnixHttpClient(Path socket) {
        this.socket = socket;
    }

    record Response(int status, String reason, byte[] body) {
        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Fails like Go's client does before dialing, so error lines match rootlessctl's. */
    void checkSocket() throws CtlException {
        if (!Files.exists(socket)) {
            throw new CtlException("stat " + socket + ": no such file or directory");
        }
    }

    Response send(String method, String path, byte[] body) throws CtlException {
        final String url = "http://rootlesskit" + path;
        final String op = method.charAt(0) + method.substring(1).toLowerCase(Locale.ROOT);
        final byte[] response;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new CtlException(op + " \"" + url + "\": dial unix " + socket + ": connect: " + lower(e));
            }
            final StringBuilder head = new StringBuilder()
                    .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                    .append("Host: rootlesskit\r\n")
                    .append("User-Agent: rootlessjctl\r\n")
                    .append("Connection: close\r\n");
            if (body != null) {
                head.append("Content-Type: application/json\r\n").append("Content-Length: ").append(body.length)
                        .append("\r\n");
            }
            head.append("\r\n");
            write(ch, head.toString().getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                write(ch, body);
            }
            response = readAll(ch);
        } catch (IOException e) {
            throw new CtlException(op + " \"" + url + "\": " + lower(e));
        }
        return parse(response, op, url);
    }

    private static void write(SocketChannel ch, byte[] bytes) throws IOException {
        final ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static byte[] readAll(SocketChannel ch) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer buf = ByteBuffer.allocate(8192);
        while (ch.read(buf) >= 0) {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
            if (out.size() > MAX_RESPONSE) {
                throw new IOException("response larger than " + MAX_RESPONSE + " bytes");
            }
        }
        return out.toByteArray();
    }

    private static Response parse(byte[] raw, String op, String url) throws CtlException {
        final int headEnd = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
        if (headEnd < 0) {
            throw new CtlException(op + " \"" + url + "\": malformed HTTP response");
        }
        final String[] lines = new String(raw, 0, headEnd, StandardCharsets.ISO_8859_1).split("\r\n");
        final String[] statusLine = lines[0].split(" ", 3);
        final int status;
        try {
            status = Integer.parseInt(statusLine[1]);
        } catch (RuntimeException e) {
            throw new CtlException(op + " \"" + url + "\": malformed HTTP status line " + lines[0]);
        }
        long contentLength = -1;
        boolean chunked = false;
        for (int i = 1; i < lines.length; i++) {
            final int colon = lines[i].indexOf(':');
            if (colon < 0) {
                continue;
            }
            final String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            final String value = lines[i].substring(colon + 1).trim();
            if (name.equals("content-length")) {
                contentLength = Long.parseLong(value);
            } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            }
        }
        final int start = headEnd + 4;
        final byte[] body;
        if (chunked) {
            body = dechunk(raw, start, op, url);
        } else {
            final int end = contentLength < 0 ? raw.length : (int) Math.min(raw.length, start + contentLength);
            body = java.util.Arrays.copyOfRange(raw, start, end);
        }
        return new Response(status, statusLine.length > 2 ? statusLine[2] : "", body);
    }

    private static byte[] dechunk(byte[] raw, int at, String op, String url) throws CtlException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            final int eol = indexOf(raw, new byte[] {'\r', '\n'}, at);
            if (eol < 0) {
                throw new CtlException(op + " \"" + url + "\": truncated chunked body");
            }
            String size = new String(raw, at, eol - at, StandardCharsets.US_ASCII);
            final int semi = size.indexOf(';');
            size = (semi < 0 ? size : size.substring(0, semi)).trim();
            final int n = Integer.parseInt(size, 16);
            if (n == 0) {
                return out.toByteArray();
            }
            if (eol + 2 + n > raw.length) {
                throw new CtlException(op + " \"" + url + "\": truncated chunked body");
            }
            out.write(raw, eol + 2, n);
            at = eol + 2 + n + 2;
        }
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= hay.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static String lower(IOException e) {
        final String m = String.valueOf(e.getMessage());
        return m.isEmpty() ? m : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }
}
