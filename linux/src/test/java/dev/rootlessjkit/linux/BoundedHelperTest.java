package dev.rootlessjkit.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class BoundedHelperTest {
    /**
     * A helper that exits while a process it started still holds its output open is done once the output grace
     * has passed: its status and what it printed come back, and the deadline (far off here) is not waited for.
     */
    @Test
    @Timeout(30)
    void aHelperThatExitsIsDoneThoughADescendantHoldsItsOutput(@TempDir Path dir) throws Exception {
        final Path pidFile = dir.resolve("sleeper.pid");
        final Path helper = Files.writeString(dir.resolve("helper"),
                "#!/bin/sh\necho 'mapped 3 ids'\nsleep 120 &\necho $! > '" + pidFile + "'\nexit 0\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
        final List<String> command = List.of(helper.toString(), "42");
        try {
            final BoundedHelper.Outcome outcome = BoundedHelper.run(Linux.load(), helper.toString(), command,
                    Duration.ofSeconds(600));
            assertTrue(outcome.succeeded(), outcome.status()::describe);
            assertEquals("mapped 3 ids\n", outcome.output());
            assertEquals(command, outcome.command());
        } finally {
            final Optional<ProcessHandle> sleeper = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()));
            sleeper.ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
