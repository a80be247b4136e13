package dev.rootlessjkit.parent.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.PacketCapture;
import dev.rootlessjkit.net.api.Pcap;
import dev.rootlessjkit.parent.api.ApiServer;
import dev.rootlessjkit.parent.api.Info;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code rootlessjctl capture} through the API's {@code GET /v1/capture}: a pcap stream on stdout. */
@Timeout(60)
class CaptureCommandTest {
    private static final Info INFO = Info.of("0.1.0", "/tmp/x", 1, null, null);

    @TempDir
    Path dir;

    /** Writes the records it is given as soon as a capture starts, and remembers what was asked. */
    private static final class FakeCapture implements PacketCapture {
        final CompletableFuture<int[]> asked = new CompletableFuture<>();
        final CompletableFuture<Void> stopped = new CompletableFuture<>();
        final byte[][] records;

        FakeCapture(byte[]... records) {
            this.records = records;
        }

        @Override
        public AutoCloseable start(int port, int snapLength, Target target) {
            asked.complete(new int[] {port, snapLength});
            new Thread(() -> {
                for (byte[] r : records) {
                    while (!target.ready()) {
                        Thread.onSpinWait();
                    }
                    target.write(r);
                }
            }).start();
            return () -> stopped.complete(null);
        }
    }

    private record Run(int status, byte[] out, String err) {
    }

    private CompletableFuture<Run> ctl(String... args) {
        return CompletableFuture.supplyAsync(() -> {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final int status = new RootlessJCtl(Map.of("ROOTLESSKIT_STATE_DIR", dir.toString()),
                    new PrintStream(out, true), new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
            return new Run(status, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
        });
    }

    private static byte[] record(int seconds, byte[] frame) {
        final ByteBuffer b = Pcap.record(seconds * 1_000_000L, frame.length, frame.length);
        b.put(frame);
        return b.array();
    }

    @Test
    void streamsThePcapHeaderAndRecordsUntilTheServerGoes() throws Exception {
        final byte[] first = record(1, "first frame".getBytes(StandardCharsets.US_ASCII));
        final byte[] second = record(2, "second frame".getBytes(StandardCharsets.US_ASCII));
        final FakeCapture capture = new FakeCapture(first, second);
        final ApiServer server = ApiServer.start(dir.resolve("api.sock"), () -> INFO, null, capture,
                new Log("test", false));
        final CompletableFuture<Run> run;
        try {
            run = ctl("capture", "--port", "8080", "--snaplen=1500");
            assertArrayEquals(new int[] {8080, 1500}, capture.asked.get(20, TimeUnit.SECONDS));
            // The server ends the stream when it closes; give the records time to arrive first.
            Thread.sleep(500);
        } finally {
            server.close();
        }
        final Run result = run.get(20, TimeUnit.SECONDS);
        assertEquals(0, result.status(), result.err());
        capture.stopped.get(20, TimeUnit.SECONDS);
        final ByteBuffer out = ByteBuffer.wrap(result.out()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(Pcap.FILE_HEADER_LENGTH + first.length + second.length, result.out().length);
        assertEquals(Pcap.MAGIC_MICROSECONDS, out.getInt(0));
        assertEquals(1500, out.getInt(16), "snap length");
        assertEquals(Pcap.LINKTYPE_ETHERNET, out.getInt(20));
        final int at = Pcap.FILE_HEADER_LENGTH;
        assertArrayEquals(first, Arrays.copyOfRange(result.out(), at, at + first.length));
        assertArrayEquals(second, Arrays.copyOfRange(result.out(), at + first.length, result.out().length));
    }

    @Test
    void badArgumentsAndDriversWithoutCaptureGetOneLineErrors() throws Exception {
        final ApiServer server = ApiServer.start(dir.resolve("api.sock"), () -> INFO, null, new FakeCapture(),
                new Log("test", false));
        try {
            final Run badPort = ctl("capture", "--port", "70000").get(20, TimeUnit.SECONDS);
            assertEquals(1, badPort.status());
            assertEquals("error: bad port 70000: not between 0 and 65535\n", badPort.err());
            final Run notANumber = ctl("capture", "--snaplen=lots").get(20, TimeUnit.SECONDS);
            assertEquals(1, notANumber.status());
            assertTrue(notANumber.err().contains("invalid value \"lots\" for flag -snaplen"), notANumber.err());
        } finally {
            server.close();
        }
        final ApiServer without = ApiServer.start(dir.resolve("api.sock"), () -> INFO, null,
                new Log("test", false));
        try {
            final Run refused = ctl("capture").get(20, TimeUnit.SECONDS);
            assertEquals(1, refused.status());
            assertEquals("error: packet capture needs --net=usernet: other network drivers do not pass frames"
                    + " through us\n", refused.err());
            assertEquals(0, refused.out().length);
        } finally {
            without.close();
        }
    }
}
