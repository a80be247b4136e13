package dev.rootlessjkit.linux;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A short-lived helper (newuidmap, newgidmap, getsubids, a driver's --help probe) run with a deadline that holds even when the helper hangs
 * with its output open: on time-out the helper and its descendants are killed by PID. Started with posix_spawn
 * ({@link Linux#spawn}), not ProcessBuilder: that costs the launch an extra exec (jspawnhelper), a process reaper
 * thread and a reader thread per helper, on the critical path of every launch that maps subordinate ids. The
 * caller's thread reads the output and reaps the helper, so several helpers can be started side by side and
 * awaited one after the other.
 */
public final class BoundedHelper {
    /** More than any helper prints; the rest is dropped, so a runaway helper cannot fill our heap. */
    private static final int MAX_OUTPUT = 64 * 1024;
    /** How long to wait for the end of the output once the helper has exited (a descendant may hold it open). */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(1);
    /**
     * How often to look for the helper's exit while its output stays open without it (only a descendant that
     * inherited the output does that: a helper's exit closes its own end, which wakes the poll at once).
     */
    private static final int EXIT_CHECK_MILLIS = 20;

    /** How a helper ended: its wait status and output, or killed at the deadline (status null). */
    public record Outcome(List<String> command, int pid, WaitStatus status, String output) {
        public boolean timedOut() {
            return status == null;
        }

        public boolean succeeded() {
            return status != null && status.exited() && status.exitCode() == 0;
        }

        /** "newuidmap (pid 123) did not finish within 30 s and was killed", naming the helper that hung. */
        public String describeTimeout(Duration timeout) {
            return command.get(0) + " (pid " + pid + ") did not finish within " + timeout.toSeconds()
                    + " s and was killed: " + String.join(" ", command);
        }
    }

    private final Linux linux;
    private final List<String> command;
    private final int pid;
    private final int outputFd;
    private final long deadline;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    private BoundedHelper(Linux linux, List<String> command, int pid, int outputFd, long deadline) {
        this.linux = linux;
        this.command = command;
        this.pid = pid;
        this.outputFd = outputFd;
        this.deadline = deadline;
    }

    /**
     * Starts {@code program} with {@code command} as its argument vector (the first word as the user named it),
     * stdin on /dev/null and stdout and stderr on one pipe to us; the deadline runs from now.
     */
    public static BoundedHelper start(Linux linux, String program, List<String> command, Duration timeout)
            throws ErrnoException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        final Linux.Spawned spawned = linux.spawnWithOutput(program, command, System.getenv(), Map.of());
        return new BoundedHelper(linux, command, spawned.pid(), spawned.outputFd(), deadline);
    }

    /** Starts {@code command} and waits for it: {@link #start} then {@link #await}. */
    public static Outcome run(Linux linux, String program, List<String> command, Duration timeout)
            throws ErrnoException {
        return start(linux, program, command, timeout).await();
    }

    /** Reads the helper's output to its end and reaps it, killing it (and its descendants) at the deadline. */
    public Outcome await() throws ErrnoException {
        try {
            WaitStatus status = null;
            long outputDeadline = deadline;
            boolean outputOpen = true;
            final byte[] buf = new byte[4096];
            while (true) {
                if (outputOpen) {
                    final long left = millisUntil(outputDeadline);
                    final int wait = (int) Math.max(0, status == null ? Math.min(left, EXIT_CHECK_MILLIS) : left);
                    if (linux.awaitReadable(outputFd, wait)) {
                        final int n = linux.read(outputFd, buf, buf.length);
                        outputOpen = n > 0;
                        output.write(buf, 0, Math.max(0, Math.min(n, MAX_OUTPUT - output.size())));
                    }
                } else if (status == null) {
                    // The output ended just before the exit: the helper is between closing its files and becoming
                    // a zombie.
                    sleep(1);
                }
                if (status == null) {
                    final Linux.Reaped reaped = linux.waitpid(pid, Linux.WNOHANG);
                    if (reaped != null) {
                        status = reaped.status();
                        outputDeadline = Math.min(deadline, System.nanoTime()) + OUTPUT_GRACE.toNanos();
                    }
                }
                final boolean outputDone = !outputOpen || millisUntil(outputDeadline) <= 0;
                if (status != null && outputDone) {
                    return new Outcome(command, pid, status, text());
                }
                if (status == null && millisUntil(deadline) <= 0) {
                    kill();
                    return new Outcome(command, pid, null, text());
                }
            }
        } finally {
            linux.closeQuietly(outputFd);
        }
    }

    /** Kills the helper and whatever it started (found before the helper dies and they are re-parented), reaps it. */
    private void kill() throws ErrnoException {
        ProcessHandle.of(pid).ifPresent(handle -> handle.descendants().forEach(ProcessHandle::destroyForcibly));
        linux.kill(pid, Signals.SIGKILL);
        final long reapDeadline = System.nanoTime() + OUTPUT_GRACE.toNanos();
        while (linux.waitpid(pid, Linux.WNOHANG) == null && System.nanoTime() < reapDeadline) {
            sleep(1);
        }
    }

    private String text() {
        return output.toString(StandardCharsets.UTF_8);
    }

    private static long millisUntil(long nanoTime) {
        return Math.max(0, (nanoTime - System.nanoTime() + 999_999) / 1_000_000);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
