package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/** Assertions shared by the integration tests, each failing with the full output of the run it judges. */
final class Expect {

    private Expect() {
    }

    static void exitCode(int expected, Result result) {
        assertEquals(expected, result.exitCode(), () -> "unexpected exit code\n" + result.describe());
    }

    /** A user mistake: exit 1 and exactly one line on stderr, with no Java stack trace. */
    static void oneLineError(Result result) {
        exitCode(1, result);
        assertEquals(1, result.stderrLines().size(), () -> "expected a single line on stderr\n" + result.describe());
        noStackTrace(result);
    }

    static void noStackTrace(Result result) {
        assertFalse(result.output().contains("\tat "), () -> "stack trace printed\n" + result.describe());
        assertFalse(result.output().contains("Exception"), () -> "exception printed\n" + result.describe());
    }

    static void emptyDir(Path dir, Result result) {
        assertEquals(List.of(), Workspace.list(dir), () -> "left behind in " + dir + "\n" + result.describe());
    }

    static void contains(String expected, String actual, Result result) {
        assertTrue(actual.contains(expected), () -> "expected \"" + expected + "\"\n" + result.describe());
    }

    /** Waits (generously) until none of the processes runs any more; a zombie counts as gone. */
    static void allGone(Collection<ProcessHandle> processes, Duration limit, String context) {
        final Instant deadline = Instant.now().plus(limit);
        while (processes.stream().anyMatch(Host::running)) {
            if (Instant.now().isAfter(deadline)) {
                fail("still running after " + limit.toSeconds() + " s: " + describe(processes) + "\n" + context);
            }
            Host.sleep(Duration.ofMillis(50));
        }
    }

    static String describe(Collection<ProcessHandle> processes) {
        final StringBuilder text = new StringBuilder();
        for (final ProcessHandle process : processes) {
            text.append("\n  ").append(process.pid()).append(' ')
                    .append(Host.processState(process.pid()).orElse("gone")).append(' ')
                    .append(process.info().commandLine().orElse("?"));
        }
        return text.toString();
    }

    static void within(Duration limit, String what, java.util.function.BooleanSupplier condition) {
        final Instant deadline = Instant.now().plus(limit);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                fail("not true after " + limit.toSeconds() + " s: " + what);
            }
            Host.sleep(Duration.ofMillis(50));
        }
    }
}
