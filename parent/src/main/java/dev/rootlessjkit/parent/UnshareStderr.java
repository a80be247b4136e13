package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.FdStreams;
import dev.rootlessjkit.linux.Linux;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * unshare's own standard error under {@code --pidns}, passed on to ours line by line but for one line. There
 * unshare forks the child JVM and waits for it, and when the child dies of a signal it re-raises that signal on
 * itself; util-linux 2.38 (Debian 12) cannot do that for SIGKILL ({@code signal(SIGKILL, SIG_DFL)} fails), so it
 * prints "sigprocmask unblock failed" and exits 1, which would hide the child's death behind a misleading error.
 * That line therefore means the child was killed with SIGKILL: the one terminating signal whose handler cannot be
 * reset. The child JVM moves its standard error back to ours first thing, so only unshare (and a JVM that fails
 * to start) write here.
 */
final class UnshareStderr {
    static final String SIGKILL_FAILURE = "unshare: sigprocmask unblock failed";

    private final Thread reader;
    private volatile boolean childKilled;

    /** Reads {@code fd} (the pipe's read end, which it closes at the end) on a thread of its own. */
    UnshareStderr(Linux linux, int fd, PrintStream out) {
        this.reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(FdStreams.input(linux, fd), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.startsWith(SIGKILL_FAILURE)) {
                        childKilled = true;
                    } else {
                        out.println(line);
                    }
                }
            } catch (IOException e) {
                // Our own stderr or the pipe failed: nothing is left to pass on.
            }
        }, "rootlessjkit-unshare-stderr");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Whether unshare reported that its child died of SIGKILL. Waits up to {@code timeout} for unshare's end of the
     * pipe to close, which happens when it has exited.
     */
    boolean childKilled(Duration timeout) {
        try {
            reader.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return childKilled;
    }
}
