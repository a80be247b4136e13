package dev.rootlessjkit.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The host side of a test: who we are, how to act as another account or as root, and what /proc says about a
 * process. Run as root (CI) everything happens directly or through runuser; run as a developer, steps that need
 * root go through {@code sudo -n}, which fails loudly instead of prompting when no passwordless sudo is set up.
 */
final class Host {

    private static final String NEEDS_ROOT = "this step needs root: the suite runs as root in CI; run as a normal "
            + "user, it needs passwordless sudo (sudo -n)";

    private Host() {
    }

    static boolean isRoot() {
        return uidOf(Path.of("/proc/self")) == 0;
    }

    static int currentUid() {
        return uidOf(Path.of("/proc/self"));
    }

    static String currentUserName() {
        return Exec.check(List.of("id", "-un")).stdout().strip();
    }

    /** The words that make the rest of a command line run as {@code user}. */
    static List<String> asUser(TestUser user) {
        if (isRoot()) {
            return List.of("runuser", "-u", user.name(), "--");
        }
        if (user.uid() == currentUid()) {
            return List.of();
        }
        return List.of("sudo", "-n", "-u", user.name(), "--");
    }

    /** Runs a command as root; a failure (including a missing sudo) fails the test with the command's output. */
    static Result asRoot(String... command) {
        final List<String> line = new ArrayList<>();
        if (!isRoot()) {
            line.addAll(List.of("sudo", "-n", "--"));
        }
        line.addAll(List.of(command));
        final Result result;
        try {
            result = Exec.run(line, Duration.ofSeconds(30));
        } catch (UncheckedIOException e) {
            throw new IllegalStateException(NEEDS_ROOT + "; cannot run " + line, e);
        }
        if (result.exitCode() != 0) {
            throw new IllegalStateException(NEEDS_ROOT + ":\n" + result.describe());
        }
        return result;
    }

    static void signal(long pid, String signal) {
        Exec.check(List.of("kill", "-s", signal, Long.toString(pid)));
    }

    /**
     * The one-letter state of a process from /proc/PID/stat, or empty when it no longer exists. A zombie ("Z")
     * has finished; it only waits for whoever inherited it to collect its status.
     */
    static Optional<String> processState(long pid) {
        try {
            final String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // The command name may contain spaces and parentheses: the state follows the last ')'.
            return Optional.of(stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            // A process vanishing between open and read shows up as ESRCH; it is gone all the same.
            return Optional.empty();
        }
    }

    /** True when the process still runs: it exists, is the same process (start time), and is not a zombie. */
    static boolean running(ProcessHandle process) {
        return process.isAlive() && processState(process.pid()).map(state -> !state.equals("Z")).orElse(false);
    }

    /** The SigBlk/SigIgn/SigCgt masks of a process, for failure messages about signal delivery. */
    static String signalDispositions(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                    .filter(line -> line.startsWith("SigBlk") || line.startsWith("SigIgn") || line.startsWith("SigCgt"))
                    .map(String::strip).reduce((a, b) -> a + " " + b).orElse("?");
        } catch (IOException e) {
            return "(process " + pid + " gone)";
        }
    }

    static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the host name", e);
        }
    }

    static Path pidNamespace() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/pid"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/ns/pid", e);
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static int uidOf(Path path) {
        try {
            return (Integer) Files.getAttribute(path, "unix:uid");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat " + path, e);
        }
    }
}
