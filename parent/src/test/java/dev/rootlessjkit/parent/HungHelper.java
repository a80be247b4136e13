package dev.rootlessjkit.parent;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** A stand-in for newuidmap or getsubids that prints a line, then hangs with a child holding its output open. */
final class HungHelper {
    private HungHelper() {
    }

    static Path write(Path path, Path pidFile) throws IOException {
        Files.writeString(path, "#!/bin/sh\necho started\nsleep 60 &\necho $! > '" + pidFile + "'\nwait\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
        return path;
    }

    /** The helper's child must be gone too, not left holding the pipe. */
    static void assertSleeperGone(Path pidFile) throws IOException, InterruptedException {
        final long pid = Long.parseLong(Files.readString(pidFile).strip());
        final Instant deadline = Instant.now().plus(Duration.ofSeconds(5));
        Optional<ProcessHandle> sleeper = ProcessHandle.of(pid);
        while (sleeper.isPresent() && sleeper.get().isAlive() && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
            sleeper = ProcessHandle.of(pid);
        }
        assertFalse(sleeper.isPresent() && sleeper.get().isAlive(), "the helper's child " + pid + " still runs");
    }
}
