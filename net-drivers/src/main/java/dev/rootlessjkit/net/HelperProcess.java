package dev.rootlessjkit.net;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.FdStreams;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Signals;
import dev.rootlessjkit.linux.WaitStatus;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An external program a parent driver runs for the life of the namespace (slirp4netns, pasta). Started with
 * posix_spawn so that it gets exactly the fds it is given; its stdout and stderr go to the debug log, and their
 * last lines are kept to explain a failure. Only this PID is waited for: the JDK's reaper and ours never compete.
 */
public final class HelperProcess implements AutoCloseable {
    private static final int TAIL_LINES = 20;
    private static final long TERM_GRACE_MILLIS = 2000;

    private final Linux linux;
    private final Log log;
    private final String name;
    private final int pid;
    private final CompletableFuture<WaitStatus> exit = new CompletableFuture<>();
    private final Deque<String> tail = new ArrayDeque<>();
    private final Thread outputReader;

    private HelperProcess(Linux linux, Log log, String name, int pid, int outputFd) {
        this.linux = linux;
        this.log = log;
        this.name = name;
        this.pid = pid;
        this.outputReader = new Thread(() -> readOutput(outputFd), "rootlessjkit-" + name + "-output");
        outputReader.setDaemon(true);
        outputReader.start();
        final Thread waiter = new Thread(this::awaitExit, "rootlessjkit-" + name + "-wait");
        waiter.setDaemon(true);
        waiter.start();
    }

    /**
     * Starts {@code argv} (argv[0] is the program's path) with stdin on /dev/null, stdout and stderr on a pipe to
     * us, and {@code extraFds} (target fd → our fd) dup'ed in; every other fd is closed in the new process.
     */
    public static HelperProcess start(Linux linux, Log log, String name, List<String> argv,
            Map<Integer, Integer> extraFds) throws NetworkDriverException {
        log.debug("starting " + String.join(" ", argv));
        try {
            final Linux.Spawned spawned = linux.spawnWithOutput(argv.get(0), argv, System.getenv(), extraFds);
            return new HelperProcess(linux, log, name, spawned.pid(), spawned.outputFd());
        } catch (ErrnoException e) {
            throw new NetworkDriverException("failed to start " + name + ": " + e.getMessage(), e);
        }
    }

    public int pid() {
        return pid;
    }

    public boolean exited() {
        return exit.isDone();
    }

    /** How the process ended; only meaningful once {@link #exited()}. */
    public String describeExit() {
        if (!exit.isDone()) {
            return "still running";
        }
        try {
            return exit.get().describe();
        } catch (InterruptedException | ExecutionException e) {
            return "status unknown (" + e.getMessage() + ")";
        }
    }

    /** Waits at most {@code millis} for the process to end; true if it has. */
    public boolean awaitExit(long millis) {
        try {
            exit.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The last lines the program printed, for an error message; empty if it printed nothing. */
    public String outputTail() {
        // The program may have exited a moment before its last lines were read.
        try {
            outputReader.join(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (tail) {
            return String.join("\n", tail);
        }
    }

    /** A failure message: what went wrong, how the program ended, and what it said. */
    public String failure(String what) {
        final String output = outputTail();
        return what + " (" + name + " " + describeExit() + ")" + (output.isEmpty() ? "" : ":\n" + output);
    }

    /** Stops the program (SIGTERM, then SIGKILL after a grace period) and reaps it; never throws. */
    @Override
    public void close() {
        if (exited()) {
            return;
        }
        signal(Signals.SIGTERM);
        if (!awaitExit(TERM_GRACE_MILLIS)) {
            signal(Signals.SIGKILL);
            awaitExit(TERM_GRACE_MILLIS);
        }
        log.debug(name + " stopped: " + describeExit());
    }

    private void signal(int signal) {
        try {
            linux.kill(pid, signal);
        } catch (ErrnoException e) {
            log.debug("kill " + name + ": " + e.getMessage());
        }
    }

    private void awaitExit() {
        try {
            final Linux.Reaped reaped = linux.waitpid(pid, 0);
            if (reaped == null) {
                exit.completeExceptionally(new IllegalStateException(name + " (" + pid + ") is not our child"));
            } else {
                exit.complete(reaped.status());
            }
        } catch (ErrnoException e) {
            exit.completeExceptionally(e);
        }
    }

    private void readOutput(int fd) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(FdStreams.input(linux, fd),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                log.debug(name + ": " + line);
                synchronized (tail) {
                    if (tail.size() == TAIL_LINES) {
                        tail.removeFirst();
                    }
                    tail.addLast(line);
                }
            }
        } catch (IOException e) {
            log.debug("reading the output of " + name + ": " + e.getMessage());
        }
    }
}
