package dev.rootlessjkit.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.Linux;
import java.util.List;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class IdMapperTest {
    @Test
    void rootIsTheCallerAndRangesStackFromOne() {
        assertEquals(List.of("0", "1001", "1", "1", "100000", "65536", "65537", "200000", "65536"),
                IdMapper.mapping(1001, List.of(new SubIdRange(100000, 65536), new SubIdRange(200000, 65536))));
    }

    /** A helper's complaint and exit status are in the error, as RootlessKit words it; newgidmap's too. */
    @Test
    @Timeout(30)
    void aFailingHelperIsNamedWithItsOutputAndStatus(@TempDir Path dir) throws Exception {
        final Path succeeds = script(dir.resolve("newuidmap"), "exit 0");
        final Path fails = script(dir.resolve("newgidmap"), "echo 'newgidmap: write to gid_map failed:' >&2\n"
                + "echo 'Operation not permitted' >&2\nexit 1");
        final IdMapper mapper = new IdMapper(Linux.load(), 1000, 1000, Duration.ofSeconds(10));
        final SubIdSource.Ranges ranges = new SubIdSource.Ranges(List.of(new SubIdRange(100000, 65536)),
                List.of(new SubIdRange(200000, 10)));
        final ParentException e = assertThrows(ParentException.class, () -> mapper.mapWithHelpers(12345, succeeds,
                fails, ranges));
        assertEquals("failed to setup UID/GID map: " + fails + " 12345 0 1000 1 1 200000 10 failed: "
                + "newgidmap: write to gid_map failed: Operation not permitted: exit status 1", e.getMessage());
        final ParentException missing = assertThrows(ParentException.class, () -> mapper.mapWithHelpers(12345,
                dir.resolve("no-such-newuidmap"), succeeds, ranges));
        assertTrue(missing.getMessage().startsWith("failed to setup UID/GID map: cannot run "
                + dir.resolve("no-such-newuidmap") + ": "), missing.getMessage());
    }

    private static Path script(Path path, String body) throws IOException {
        Files.writeString(path, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
        return path;
    }

    /**
     * A helper that hangs with its output held open (here by a child of its own) is killed at the deadline, and the
     * error names it: reading its output to the end first would wait as long as it hangs.
     */
    @Test
    @Timeout(30)
    void aHungHelperIsKilledAtTheDeadlineAndNamed(@TempDir Path dir) throws Exception {
        final Path pidFile = dir.resolve("sleeper.pid");
        final Path helper = HungHelper.write(dir.resolve("newuidmap"), pidFile);
        final IdMapper mapper = new IdMapper(Linux.load(), 1000, 1000, Duration.ofSeconds(1));
        final ParentException e = assertThrows(ParentException.class, () -> mapper.mapWithHelpers(12345, helper,
                helper, new SubIdSource.Ranges(List.of(new SubIdRange(100000, 65536)), List.of())));
        assertTrue(e.getMessage().startsWith("failed to setup UID/GID map: " + helper + " (pid "), e.getMessage());
        assertTrue(e.getMessage().contains(" did not finish within 1 s and was killed: " + helper + " 12345 0 1000 1"),
                e.getMessage());
        HungHelper.assertSleeperGone(pidFile);
    }
}
