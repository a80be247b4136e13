package dev.rootlessjkit.messages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;

/**
 * Arbitrary bytes on the parent–child pipe: reading frames until the stream ends throws nothing but
 * {@link FrameException} (or {@link EOFException} exactly at the end of the stream, between frames), and no frame makes the reader allocate more than a
 * small multiple of the 64 KiB frame limit, whatever length its header claims. Regression mode runs the seeds in
 * FrameCodecFuzzTestInputs/ in every test run; hack/fuzz-core.sh runs fuzzing mode.
 */
class FrameCodecFuzzTest {
    /**
     * The body (64 KiB) plus its decoded text and the parsed strings (UTF-16, so twice the body) and their copies
     * in the message records: a reader that allocated what a corrupt header claims (up to 4 GiB) would exceed it.
     */
    private static final long ALLOCATION_BOUND = 16L * FrameCodec.MAX_FRAME;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final FrameCodec CODEC = warmedUp();

    @FuzzTest(maxDuration = "2m")
    void read(byte[] input) throws IOException {
        final ByteArrayInputStream in = new ByteArrayInputStream(input);
        while (true) {
            final long before = THREADS.getCurrentThreadAllocatedBytes();
            try {
                CODEC.read(in);
            } catch (FrameException e) {
                return;
            } catch (EOFException e) {
                assertEquals(0, in.available(), "end of stream reported with bytes left");
                return;
            } finally {
                final long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
                assertTrue(allocated <= ALLOCATION_BOUND, "one frame allocated " + allocated + " bytes");
            }
        }
    }

    /**
     * A codec that has decoded one message of every kind, so class loading does not count as a frame's allocation
     * (under Jazzer's instrumentation, loading one record class cost ~1.7 MB).
     */
    private static FrameCodec warmedUp() {
        final FrameCodec codec = new FrameCodec();
        final List<Message> kinds = List.of(
                new ParentHello(new ChildConfig("/run/state", "none", true, false, "rslave", List.of("/etc"),
                        true, true, null, List.of("sh", "-c", "exit 42"), false, "tap0")),
                new ChildHello(7),
                new ParentInitNetworkDriverCompleted(new NetworkConfig("tap0", "10.0.2.100", 24, "10.0.2.2",
                        List.of("10.0.2.3"), 65520, Map.of("k", "v"))),
                new ParentInitPortDriverCompleted(Map.of("builtin.socketpath", "/run/state/.bp.sock")),
                new ParentInitIdmapCompleted(), new ChildInitUserNSCompleted(), new ParentInitCompleted(),
                new Goodbye());
        try {
            for (Message m : kinds) {
                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                codec.write(out, m);
                codec.read(new ByteArrayInputStream(out.toByteArray()));
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        // Each way of being malformed once, so that loading its exception classes is not counted as a frame's
        // allocation either (a first frame of bad UTF-8 was: ~1.7 MB, all class loading).
        for (byte[] malformed : List.of(new byte[] {3, 0, 0, 0, 'n', 'o', '!'},
                new byte[] {3, 0, 0, 0, '"', (byte) 0xff, '"'}, new byte[] {2, 0, 0, 0, '{', '}'})) {
            try {
                codec.read(new ByteArrayInputStream(malformed));
                throw new AssertionError("a malformed frame was read as a message");
            } catch (FrameException expected) {
                // as it should
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return codec;
    }
}
