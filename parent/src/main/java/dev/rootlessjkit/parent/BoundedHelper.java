package dev.rootlessjkit.parent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a short-lived helper (newuidmap, newgidmap, getsubids) with a deadline that holds even when the helper
 * hangs with its output open: its output is read on a thread of its own, and on time-out the helper and its
 * descendants are killed by PID. Reading the output to its end before waiting, as a plain ProcessBuilder call
 * does, would block for as long as the helper hangs.
 */
final class BoundedHelper {
    /** More than any helper prints; the rest is dropped, so a runaway helper cannot fill our heap. */
    private static final int MAX_OUTPUT = 64 * 1024;
    /** How long to wait for the end of the output once the helper has exited (a descendant may hold it open). */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(1);

    /** How a helper ended: its exit code and output, or killed at the deadline. */
    record Outcome(List<String> command, long pid, boolean timedOut, int exitCode, String output) {
        /** "newuidmap (pid 123) did not finish within 30 s and was killed", naming the helper that hung. */
        String describeTimeout(Duration timeout) {
            return command.get(0) + " (pid " + pid + ") did not finish within " + timeout.toSeconds()
                    + " s and was killed: " + String.join(" ", command);
        }
    }

    private BoundedHelper() {
    }

    static Outcome run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final Thread reader = new Thread(() -> drain(process.getInputStream(), output), "helper-output");
        reader.setDaemon(true);
        reader.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            return new Outcome(command, process.pid(), true, -1, text(output));
        }
        reader.join(OUTPUT_GRACE.toMillis());
        return new Outcome(command, process.pid(), false, process.exitValue(), text(output));
    }

    private static void drain(InputStream in, ByteArrayOutputStream out) {
        final byte[] buf = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                synchronized (out) {
                    out.write(buf, 0, Math.max(0, Math.min(n, MAX_OUTPUT - out.size())));
                }
            }
        } catch (IOException e) {
            // The helper is gone or killed; what was read so far is all there is.
        }
    }

    private static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
