package dev.rootlessjkit.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * A launcher started in the background. Everything it starts is remembered and killed (by PID) when the test ends,
 * even if the test failed half-way or the launcher's own clean-up did not work.
 */
final class Running implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final List<String> command;
    private final Process process;
    private final Path pidFile;
    private final Path stdout;
    private final Path stderr;
    private final List<Path> scratch;
    private final Duration timeout;
    private final Set<ProcessHandle> seen = new LinkedHashSet<>();
    private ProcessHandle launcher;
    private Result result;

    Running(List<String> command, Process process, Path pidFile, Path stdout, Path stderr, List<Path> scratch,
            Duration timeout) {
        this.command = command;
        this.process = process;
        this.pidFile = pidFile;
        this.stdout = stdout;
        this.stderr = stderr;
        this.scratch = List.copyOf(scratch);
        this.timeout = timeout;
    }

    /** The PID of the launcher itself (not of runuser, which forks), once it has started. */
    long pid() {
        return launcherHandle().pid();
    }

    ProcessHandle launcherHandle() {
        if (launcher == null) {
            await("the launcher to start", START_TIMEOUT, () -> readPid(pidFile).isPresent());
            final long pid = readPid(pidFile).orElseThrow();
            launcher = ProcessHandle.of(pid).orElseThrow(
                    () -> new AssertionError("launcher PID " + pid + " is already gone\n" + partialOutput()));
            seen.add(launcher);
        }
        return launcher;
    }

    void signal(String signal) {
        Host.signal(pid(), signal);
    }

    /** The launcher's processes right now (child, command, helpers), remembered for the clean-up. */
    List<ProcessHandle> tree() {
        final List<ProcessHandle> tree = launcherHandle().descendants().toList();
        seen.addAll(tree);
        return tree;
    }

    /** Waits until a file exists, e.g. a marker written by the command or the state dir's child_pid. */
    void awaitFile(Path file) {
        await(file + " to appear", START_TIMEOUT, () -> Files.exists(file));
    }

    /** Reads a PID written by the launcher or the command, waiting for it to be complete. */
    long awaitPid(Path file) {
        await("a PID in " + file, START_TIMEOUT, () -> readPid(file).isPresent());
        return readPid(file).orElseThrow();
    }

    /** Polls a condition; fails with the launcher's output so far if the launcher exits first or time runs out. */
    void await(String what, Duration limit, BooleanSupplier condition) {
        final Instant deadline = Instant.now().plus(limit);
        while (!condition.getAsBoolean()) {
            if (!process.isAlive() && !condition.getAsBoolean()) {
                throw new AssertionError("the process ended while waiting for " + what + "\n" + waitFor().describe());
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + limit.toSeconds() + " s waiting for " + what + "\n"
                        + partialOutput());
            }
            Host.sleep(Duration.ofMillis(20));
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the end (killing everything past the deadline) and returns the exit status and output. */
    Result waitFor() {
        if (result == null) {
            final int exit = Exec.awaitOrKill(process, timeout);
            result = new Result(command, exit, Exec.read(stdout), Exec.read(stderr));
        }
        return result;
    }

    String partialOutput() {
        return "command " + command + "\n--- stdout so far ---\n" + Exec.read(stdout) + "\n--- stderr so far ---\n"
                + Exec.read(stderr) + "\n---------------------";
    }

    @Override
    public void close() {
        if (launcher == null) {
            readPid(pidFile).flatMap(ProcessHandle::of).ifPresent(seen::add);
        }
        seen.addAll(process.descendants().toList());
        for (final ProcessHandle handle : seen) {
            handle.descendants().forEach(ProcessHandle::destroyForcibly);
            handle.destroyForcibly();
        }
        process.destroyForcibly();
        Exec.awaitOrKill(process, Duration.ofSeconds(10));
        // The PID file belongs to the test user and goes with the workspace.
        try {
            for (final Path file : scratch) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the scratch files of " + command, e);
        }
    }

    static Optional<Long> readPid(Path file) {
        try {
            final String text = Files.readString(file).strip();
            return text.matches("[0-9]+") ? Optional.of(Long.parseLong(text)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
