package dev.rootlessjkit.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state directory's locks and its refusals, on real files with flock(1) as the outside observer. */
class StateDirTest {
    private static final Linux LINUX = Linux.load();
    private static final Log LOG = new Log("test", false);

    @TempDir
    Path tmp;

    @Test
    void lockIsAFlockThatFlock1SeesHeldAndTheDirectoryIsSharedLocked() throws Exception {
        final Path dir = tmp.resolve("state");
        try (StateDir state = StateDir.open(dir, LINUX, LOG)) {
            assertEquals(1, flock("-n", dir.resolve(StateDir.LOCK)), "flock(1) took the lock file");
            // systemd-tmpfiles skips a directory on which someone holds a BSD lock; an exclusive lock must fail.
            assertEquals(1, flock("-n", "-x", dir), "the state dir carries no shared lock");
            assertEquals(0, flock("-n", "-s", dir), "a shared lock must stay possible");
        }
        assertFalse(Files.exists(dir));
    }

    /** RootlessKit issue #185: systemd-tmpfiles' age-based cleaning of /tmp must leave a running state dir alone. */
    @Test
    void systemdTmpfilesCleaningSkipsTheStateDir() throws Exception {
        final Path aged = Files.createDirectory(tmp.resolve("aged"));
        final Path control = Files.createDirectories(aged.resolve("control"));
        Files.writeString(control.resolve("file"), "x");
        final Path config = Files.writeString(tmp.resolve("tmpfiles.conf"), "d " + aged + " 0755 - - 1s\n");
        try (StateDir state = StateDir.open(aged.resolve("state"), LINUX, LOG)) {
            state.publish(StateDir.CHILD_PID, "42");
            // Older than the 1 s age on every timestamp, ctime included, which only time can move.
            Thread.sleep(2500);
            final Process clean = new ProcessBuilder("systemd-tmpfiles", "--clean", config.toString()).inheritIO()
                    .start();
            assertEquals(0, clean.waitFor());
            assertFalse(Files.exists(control.resolve("file")), "systemd-tmpfiles did not clean at all");
            assertTrue(Files.exists(state.resolve(StateDir.CHILD_PID)), "systemd-tmpfiles cleaned the state dir");
        }
    }

    @Test
    void aSecondOpenFails() throws Exception {
        final Path dir = tmp.resolve("state");
        try (StateDir first = StateDir.open(dir, LINUX, LOG)) {
            final ParentException e = assertThrows(ParentException.class, () -> StateDir.open(dir, LINUX, LOG));
            assertTrue(e.getMessage().contains("another rootlessjkit is running"), e.getMessage());
        }
    }

    @Test
    void aDirectoryOfAnotherUserIsRefused() throws Exception {
        final Path dir = Files.createDirectory(tmp.resolve("theirs"));
        Files.setAttribute(dir, "unix:uid", 65534);
        final ParentException e = assertThrows(ParentException.class, () -> StateDir.open(dir, LINUX, LOG));
        assertEquals("state dir " + dir + " is owned by uid 65534, not by you (uid " + LINUX.geteuid()
                + "): choose a directory of your own with --state-dir", e.getMessage());
        assertFalse(Files.exists(dir.resolve(StateDir.LOCK)));
    }

    @Test
    void aDirectoryOthersCanWriteIsRefused() throws Exception {
        final Path dir = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        final ParentException e = assertThrows(ParentException.class, () -> StateDir.open(dir, LINUX, LOG));
        assertEquals("state dir " + dir + " is writable by its group (mode 0777): run chmod go-w " + dir
                + " or choose another --state-dir", e.getMessage());
    }

    @Test
    void aSymlinkAsLockIsNotFollowed() throws Exception {
        final Path dir = Files.createDirectory(tmp.resolve("state"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        final Path victim = tmp.resolve("victim");
        Files.createSymbolicLink(dir.resolve(StateDir.LOCK), victim);
        final ParentException e = assertThrows(ParentException.class, () -> StateDir.open(dir, LINUX, LOG));
        assertEquals("failed to lock " + dir.resolve(StateDir.LOCK) + ": it is a symlink; remove it",
                e.getMessage());
        assertFalse(Files.exists(victim), "the lock followed the symlink");
    }

    @Test
    void childPidIsANewFileNotTheTargetOfASymlink() throws Exception {
        final Path dir = tmp.resolve("state");
        final Path victim = Files.writeString(tmp.resolve("victim"), "keep");
        try (StateDir state = StateDir.open(dir, LINUX, LOG)) {
            Files.createSymbolicLink(dir.resolve("." + StateDir.CHILD_PID + ".partial"), victim);
            Files.createSymbolicLink(dir.resolve(StateDir.CHILD_PID), victim);
            state.publish(StateDir.CHILD_PID, "42");
            assertEquals("42", Files.readString(dir.resolve(StateDir.CHILD_PID)));
            assertFalse(Files.isSymbolicLink(dir.resolve(StateDir.CHILD_PID)));
        }
        assertEquals("keep", Files.readString(victim));
    }

    private static int flock(Object... args) throws IOException, InterruptedException {
        final String[] argv = new String[args.length + 2];
        argv[0] = "flock";
        for (int i = 0; i < args.length; i++) {
            argv[i + 1] = args[i].toString();
        }
        argv[argv.length - 1] = "true";
        return new ProcessBuilder(argv).inheritIO().start().waitFor();
    }
}
