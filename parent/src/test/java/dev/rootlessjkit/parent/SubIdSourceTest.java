package dev.rootlessjkit.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class SubIdSourceTest {
    private static final Linux LINUX = Linux.load();

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    @Test
    void staticSourceCollectsEveryLineOfTheUserByNameOrUid() throws Exception {
        final Path subuid = write("subuid", "# comment\n\nalice:100000:65536\nbob:165536:65536\n1000:300000:10\n");
        final Path subgid = write("subgid", "alice:200000:1000\n");
        final SubIdSource.Ranges ranges = new SubIdSource(LINUX, ParentConfig.SubidSource.STATIC, subuid, subgid,
                new Log("parent", false)).lookup("alice", 1000);
        assertEquals(List.of(new SubIdRange(100000, 65536), new SubIdRange(300000, 10)), ranges.uids());
        assertEquals(List.of(new SubIdRange(200000, 1000)), ranges.gids());
    }

    @Test
    void missingRangesNameTheFileAndTheWayOut() throws Exception {
        final Path subuid = write("subuid", "bob:165536:65536\n");
        final Path subgid = write("subgid", "alice:200000:1000\n");
        final ParentException e = assertThrows(ParentException.class, () -> new SubIdSource(LINUX,
                ParentConfig.SubidSource.STATIC, subuid, subgid, new Log("parent", false)).lookup("alice", 1000));
        assertTrue(e.getMessage().startsWith("No subuid ranges found for user 1000 (\"alice\") in " + subuid),
                e.getMessage());
        assertTrue(e.getMessage().contains("--single-id-mapping"), e.getMessage());
    }

    @Test
    void malformedLinesAreErrorsNotSilentlySkipped() throws Exception {
        final Path subuid = write("subuid", "alice:100000\n");
        assertThrows(ParentException.class, () -> SubIdSource.parseFile(subuid, "alice", 1000));
        final Path negative = write("negative", "alice:-1:10\n");
        assertThrows(ParentException.class, () -> SubIdSource.parseFile(negative, "alice", 1000));
    }

    @Test
    void getsubidsOutputIsParsed() throws Exception {
        assertEquals(List.of(new SubIdRange(100000, 65536), new SubIdRange(300000, 5)),
                SubIdSource.parseGetsubids("0: alice 100000 65536\n1: alice 300000 5\n"));
        assertThrows(ParentException.class, () -> SubIdSource.parseGetsubids("Error fetching ranges\n"));
    }

    @Test
    void autoFallsBackToTheFilesWhenGetsubidsIsMissing() throws Exception {
        // GETSUBIDS is read from the environment, which a test cannot set; a user unknown to getsubids makes
        // the dynamic source fail the same way, and auto must then read the files.
        final Path subuid = write("subuid", "no-such-user-rjk:100000:65536\n");
        final Path subgid = write("subgid", "no-such-user-rjk:100000:65536\n");
        final SubIdSource.Ranges ranges = new SubIdSource(LINUX, ParentConfig.SubidSource.AUTO, subuid, subgid,
                new Log("parent", false)).lookup("no-such-user-rjk", 4000000);
        assertEquals(List.of(new SubIdRange(100000, 65536)), ranges.uids());
    }

    @Test
    @Timeout(30)
    void dynamicSourceReadsWhatGetsubidsPrints() throws Exception {
        final Path getsubids = write("getsubids", "#!/bin/sh\n"
                + "if [ \"$1\" = -g ]; then echo \"0: $2 200000 1000\"; else echo \"0: $1 100000 65536\"; fi\n");
        Files.setPosixFilePermissions(getsubids, PosixFilePermissions.fromString("rwx------"));
        final SubIdSource.Ranges ranges = new SubIdSource(LINUX, ParentConfig.SubidSource.DYNAMIC,
                dir.resolve("subuid"), dir.resolve("subgid"), new Log("parent", false), getsubids.toString(),
                Duration.ofSeconds(10)).lookup("alice", 1000);
        assertEquals(List.of(new SubIdRange(100000, 65536)), ranges.uids());
        assertEquals(List.of(new SubIdRange(200000, 1000)), ranges.gids());
    }

    @Test
    @Timeout(30)
    void aHungGetsubidsIsKilledAtTheDeadlineAndNamed() throws Exception {
        final Path pidFile = dir.resolve("sleeper.pid");
        final Path getsubids = HungHelper.write(dir.resolve("getsubids"), pidFile);
        final SubIdSource source = new SubIdSource(LINUX, ParentConfig.SubidSource.DYNAMIC, dir.resolve("subuid"),
                dir.resolve("subgid"), new Log("parent", false), getsubids.toString(), Duration.ofSeconds(1));
        final ParentException e = assertThrows(ParentException.class, () -> source.lookup("alice", 1000));
        assertTrue(e.getMessage().startsWith("subid-source dynamic: " + getsubids + " (pid "), e.getMessage());
        assertTrue(e.getMessage().endsWith(" did not finish within 1 s and was killed: " + getsubids + " alice"),
                e.getMessage());
        HungHelper.assertSleeperGone(pidFile);
    }
}
