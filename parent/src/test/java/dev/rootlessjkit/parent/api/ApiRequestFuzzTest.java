package dev.rootlessjkit.parent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rootlessjkit.log.Log;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Arbitrary bytes as HTTP requests on the real API socket, through the server's whole pipeline (connection limit,
 * HTTP codec, body limit, request deadline, handler): everything the server sends back is a sequence of well-formed
 * HTTP/1.1 responses with a 2xx or 4xx status (client input never earns a 5xx), and the server still answers
 * {@code GET /v1/info} afterwards. The client half-closes after its bytes; the server then closes, so an incomplete
 * request gets no answer, as Go's server does. Regression mode runs the seeds in ApiRequestFuzzTestInputs/ in every
 * test run; hack/fuzz-core.sh runs fuzzing mode.
 */
class ApiRequestFuzzTest {
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 ([0-9]{3}) [^\r\n]*");

    private static Path dir;
    private static Path socket;
    private static ApiServer server;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("api-fuzz");
        socket = dir.resolve("api.sock");
        // A short deadline bounds an input that leaves the server waiting (it must close after the half-close).
        server = ApiServer.start(socket, () -> ApiServerTest.INFO, new FakePortDriver(), new Log("fuzz", false),
                new ApiServer.Limits(128, Duration.ofSeconds(5)));
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
        Files.deleteIfExists(dir);
    }

    @FuzzTest(maxDuration = "2m")
    void request(byte[] input) throws IOException {
        final byte[] answer = exchange(input);
        // The answer to HEAD carries the Content-Length of the body it leaves out (RFC 9110, 9.3.2).
        final boolean head = new String(input, StandardCharsets.ISO_8859_1).contains("HEAD");
        int at = 0;
        while (at < answer.length) {
            at = response(answer, at, head);
        }
        final RawHttp.Response info = RawHttp.send(socket, "GET", "/v1/info", null);
        assertEquals(200, info.status(), "the API stopped answering after " + describe(input));
    }

    /** Checks one response starting at {@code at} and returns where the next one starts. */
    private static int response(byte[] answer, int at, boolean head) {
        final String text = new String(answer, at, answer.length - at, StandardCharsets.ISO_8859_1);
        final int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            fail("a response without the end of its header: " + text);
        }
        final String[] lines = text.substring(0, end).split("\r\n", -1);
        final Matcher status = STATUS_LINE.matcher(lines[0]);
        assertTrue(status.matches(), "not a status line: " + lines[0]);
        final int code = Integer.parseInt(status.group(1));
        assertTrue(code / 100 == 2 || code / 100 == 4, "status " + code + " for client input");
        long length = -1;
        for (int i = 1; i < lines.length; i++) {
            final int colon = lines[i].indexOf(':');
            assertTrue(colon > 0, "not a header line: " + lines[i]);
            if (lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                length = Long.parseLong(lines[i].substring(colon + 1).trim());
            }
        }
        assertTrue(length >= 0, "a response without Content-Length: " + lines[0]);
        final int bodyStart = at + end + 4;
        if (head && (bodyStart == answer.length || startsWith(answer, bodyStart, "HTTP/1.1 "))) {
            return bodyStart;
        }
        final long next = bodyStart + length;
        assertTrue(next <= answer.length, "a response shorter than its Content-Length: " + text);
        return (int) next;
    }

    private static boolean startsWith(byte[] bytes, int at, String prefix) {
        return new String(bytes, at, Math.min(prefix.length(), bytes.length - at), StandardCharsets.ISO_8859_1)
                .equals(prefix);
    }

    private static byte[] exchange(byte[] request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            final ByteBuffer out = ByteBuffer.wrap(request);
            try {
                while (out.hasRemaining()) {
                    ch.write(out);
                }
                ch.shutdownOutput();
            } catch (IOException e) {
                // The server answered and closed before reading everything (a bad request line): read the answer.
            }
            final ByteArrayOutputStream all = new ByteArrayOutputStream();
            final ByteBuffer buf = ByteBuffer.allocate(8192);
            try {
                while (ch.read(buf) >= 0) {
                    all.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
            } catch (IOException e) {
                // Reset after the server closed with unread input: what arrived before counts.
            }
            return all.toByteArray();
        }
    }

    private static String describe(byte[] input) {
        final String s = new String(input, StandardCharsets.ISO_8859_1);
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
