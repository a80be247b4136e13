package dev.rootlessjkit.parent.ctl;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
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
    private static final int MAX_HEAD = 64 * 1024;

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

    /**
     * GETs {@code path} and copies a 200 response's chunked body to {@code sink} as it arrives, flushing after each
     * chunk, until the server ends it or closes; any other status is returned with its (small) body to report.
     */
    Response stream(String path, OutputStream sink) throws CtlException {
        final String url = "http://rootlesskit" + path;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new CtlException("Get \"" + url + "\": dial unix " + socket + ": connect: " + lower(e));
            }
            write(ch, ("GET " + path + " HTTP/1.1\r\nHost: rootlesskit\r\nUser-Agent: rootlessjctl\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            final InputStream in = new BufferedInputStream(Channels.newInputStream(ch), 65536);
            final ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!endsWithBlankLine(head)) {
                final int b = in.read();
                if (b < 0 || head.size() > MAX_HEAD) {
                    throw new CtlException("Get \"" + url + "\": malformed HTTP response");
                }
                head.write(b);
            }
            final String status = head.toString(StandardCharsets.ISO_8859_1);
            if (!status.startsWith("HTTP/1.1 200 ")) {
                head.write(in.readNBytes(MAX_RESPONSE));
                return parse(head.toByteArray(), "Get", url);
            }
            while (true) {
                final String size = readLine(in).replaceFirst(";.*", "").trim();
                final int n = Integer.parseInt(size, 16);
                if (n == 0) {
                    break;
                }
                sink.write(in.readNBytes(n));
                sink.flush();
                readLine(in);
            }
            return new Response(200, "OK", new byte[0]);
        } catch (EOFException e) {
            return new Response(200, "OK", new byte[0]);
        } catch (IOException | NumberFormatException e) {
            throw new CtlException("Get \"" + url + "\": " + e.getMessage());
        }
    }

    private static boolean endsWithBlankLine(ByteArrayOutputStream head) {
        final byte[] b = head.toByteArray();
        final int n = b.length;
        return n >= 4 && b[n - 4] == '\r' && b[n - 3] == '\n' && b[n - 2] == '\r' && b[n - 1] == '\n';
    }

    /** One CRLF-terminated line; EOFException when the stream ends first (the server went away). */
    private static String readLine(InputStream in) throws IOException {
        final StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new EOFException();
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
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
