package dev.rootlessjkit.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host command to completion with a deadline; output goes to files so no pipe can fill up and stall it. */
final class Exec {

    private Exec() {
    }

    static Result run(List<String> command, Duration timeout) {
        try {
            final Path out = Files.createTempFile("rjit-out", ".txt");
            final Path err = Files.createTempFile("rjit-err", ".txt");
            try {
                final Process process = new ProcessBuilder(command)
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .start();
                final int exit = awaitOrKill(process, timeout);
                return new Result(command, exit, read(out), read(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        }
    }

    /** Like {@link #run} but a non-zero exit is an error: for set-up steps whose failure makes the test meaningless. */
    static Result check(List<String> command) {
        final Result result = run(command, Duration.ofSeconds(30));
        if (result.exitCode() != 0) {
            throw new IllegalStateException("set-up command failed:\n" + result.describe());
        }
        return result;
    }

    /** Waits for the process; past the deadline kills it and everything it started, and reports TIMED_OUT. */
    static int awaitOrKill(Process process, Duration timeout) {
        try {
            if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return process.exitValue();
            }
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            return Result.TIMED_OUT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new IllegalStateException("interrupted while waiting for " + process.info().commandLine(), e);
        }
    }

    static String read(Path file) {
        try {
            // Lenient decoding: a test must report odd bytes in the output, not die on them.
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
