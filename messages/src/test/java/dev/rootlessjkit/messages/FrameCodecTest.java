package dev.rootlessjkit.messages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
    private final FrameCodec codec = new FrameCodec();

    private byte[] encode(Message message) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        codec.write(out, message);
        return out.toByteArray();
    }

    private Message decode(byte[] frame) throws IOException {
        return codec.read(new ByteArrayInputStream(frame));
    }

    private static byte[] frame(String json) {
        final byte[] body = json.getBytes(StandardCharsets.UTF_8);
        final byte[] frame = new byte[4 + body.length];
        frame[0] = (byte) body.length;
        frame[1] = (byte) (body.length >> 8);
        System.arraycopy(body, 0, frame, 4, body.length);
        return frame;
    }

    @Test
    void everyMessageSurvivesARoundTrip() throws IOException {
        final List<Message> messages = List.of(
                new ParentHello(new ChildConfig("/run/state", "none", true, false, "rslave", List.of("/etc"),
                        true, true, null, List.of("sh", "-c", "exit 42"), false, "tap0")),
                new ChildHello(4242),
                new ParentInitIdmapCompleted(),
                new ChildInitUserNSCompleted(),
                new ParentInitNetworkDriverCompleted(new NetworkConfig("tap0", "10.0.2.100", 24, "10.0.2.2",
                        List.of("10.0.2.3"), 65520, Map.of("k", "v"))),
                new ParentInitPortDriverCompleted(Map.of("builtin.socketpath", "/run/state/.bp.sock")),
                new ParentInitCompleted(),
                new Goodbye());
        for (Message message : messages) {
            assertEquals(message, decode(encode(message)));
        }
    }

    @Test
    void headerIsLittleEndianLengthOfTheJsonBody() throws IOException {
        final byte[] frame = encode(new ChildHello(7));
        final String json = new String(frame, 4, frame.length - 4, StandardCharsets.UTF_8);
        assertEquals(json.length(), (frame[0] & 0xff) | (frame[1] & 0xff) << 8);
        assertEquals("{\"Name\":\"ChildHello\",\"HostPID\":7}", json);
    }

    @Test
    void endOfStreamBeforeAFrameIsEof() {
        assertThrows(EOFException.class, () -> decode(new byte[0]));
    }

    @Test
    void truncatedHeaderAndBodyAreFrameErrors() throws IOException {
        final FrameException header = assertThrows(FrameException.class, () -> decode(new byte[] {5, 0}));
        assertTrue(header.getMessage().contains("truncated frame header"), header.getMessage());
        final byte[] whole = encode(new ChildHello(7));
        final FrameException body = assertThrows(FrameException.class,
                () -> decode(Arrays.copyOf(whole, whole.length - 3)));
        assertTrue(body.getMessage().contains("truncated frame"), body.getMessage());
    }

    @Test
    void zeroAndOversizedLengthsAreRejectedBeforeReading() {
        assertThrows(FrameException.class, () -> decode(new byte[] {0, 0, 0, 0}));
        final FrameException big = assertThrows(FrameException.class,
                () -> decode(new byte[] {1, 0, 1, 0, '{'}));
        assertTrue(big.getMessage().contains("bad message length: 65537"), big.getMessage());
    }

    @Test
    void malformedOrUnknownMessagesAreFrameErrors() {
        assertThrows(FrameException.class, () -> decode(frame("not json")));
        assertThrows(FrameException.class, () -> decode(frame("{\"Name\":\"NoSuchMessage\"}")));
        assertThrows(FrameException.class, () -> decode(frame("{\"HostPID\":1}")));
    }

    @Test
    void stringsKeepEveryCharacterThroughEscapes() throws IOException {
        final List<String> command = List.of("printf", "a\"b\\c\n\t\u0001", "héllo wörld ✓ 🚀", "");
        final ParentHello hello = new ParentHello(new ChildConfig("/run/state dir", "host", false, false,
                "rprivate", List.of(), false, false, null, command, true, null));
        assertEquals(hello, decode(encode(hello)));
        assertEquals(new ChildHello(5), decode(frame("{\"Name\":\"ChildHello\",\"HostPID\":5,\"Note\":\"\\u00e9\\ud83d\\ude80\"}")));
    }

    @Test
    void unknownMembersAreIgnoredAndMissingOnesAreEmpty() throws IOException {
        assertEquals(new ParentInitNetworkDriverCompleted(new NetworkConfig(null, null, 0, null, null, 0, null)),
                decode(frame(" { \"Future\" : [1, {\"x\": null}], \"Name\" : \"ParentInitNetworkDriverCompleted\","
                        + " \"Network\": {} } ")));
        assertEquals(new ParentHello(null), decode(frame("{\"Name\":\"ParentHello\"}")));
    }

    @Test
    void membersOfTheWrongTypeOrShapeAreFrameErrors() {
        for (String json : List.of("{\"Name\":\"ChildHello\",\"HostPID\":\"7\"}",
                "{\"Name\":\"ChildHello\",\"HostPID\":7.5}",
                "{\"Name\":\"ChildHello\",\"HostPID\":99999999999999999999}",
                "{\"Name\":\"ParentInitPortDriverCompleted\",\"PortDriverOpaque\":{\"k\":1}}",
                "{\"Name\":\"ParentHello\",\"Config\":{\"Command\":[\"sh\",2]}}",
                "{\"Name\":7}", "[\"Name\"]", "{\"Name\":\"Goodbye\"} x", "{\"Name\":\"Goodbye\",}",
                "{\"Name\":\"Go\\qodbye\"}", "{\"Name\":\"Goodbye", "[".repeat(100) + "]".repeat(100))) {
            final FrameException e = assertThrows(FrameException.class, () -> decode(frame(json)), json);
            assertTrue(e.getMessage().startsWith("malformed message: "), e.getMessage());
        }
        assertThrows(FrameException.class, () -> decode(new byte[] {3, 0, 0, 0, '"', (byte) 0xff, '"'}));
    }
}
