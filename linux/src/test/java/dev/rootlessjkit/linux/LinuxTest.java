package dev.rootlessjkit.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The set-up calls against the real kernel: arguments reach libc intact, results and errno come back. */
class LinuxTest {
    private static final int ENOENT = 2;
    private static final int EBADF = 9;

    private final Linux linux = Linux.load();

    @Test
    void pipeCarriesBytesBothWaysOfTheCall() throws Exception {
        final int[] pipe = linux.pipe();
        try {
            final byte[] message = "hello, pipe".getBytes(StandardCharsets.UTF_8);
            assertEquals(message.length, linux.write(pipe[1], message, message.length));
            assertTrue(linux.awaitReadable(pipe[0], 1000));
            final byte[] got = new byte[64];
            final int n = linux.read(pipe[0], got, got.length);
            assertArrayEquals(message, Arrays.copyOf(got, n));
            assertFalse(linux.awaitReadable(pipe[0], 10), "nothing more was written");
        } finally {
            linux.close(pipe[0]);
            linux.close(pipe[1]);
        }
    }

    @Test
    void duplicateAboveGivesAnFdFromTheLowestAskedUp() throws Exception {
        final int[] pipe = linux.pipe();
        final int copy = linux.duplicateAbove(pipe[1], 100);
        try {
            assertTrue(copy >= 100, "got fd " + copy);
            linux.write(copy, new byte[] {42}, 1);
            final byte[] got = new byte[1];
            assertEquals(1, linux.read(pipe[0], got, 1));
            assertEquals(42, got[0]);
        } finally {
            linux.close(copy);
            linux.close(pipe[0]);
            linux.close(pipe[1]);
        }
    }

    @Test
    void failuresCarryTheCallTheSubjectAndTheKernelsErrno() throws Exception {
        final int[] pipe = linux.pipe();
        linux.close(pipe[0]);
        linux.close(pipe[1]);
        final ErrnoException closed = assertThrows(ErrnoException.class, () -> linux.read(pipe[0], new byte[1], 1));
        assertEquals(EBADF, closed.errno());
        assertEquals("read fd " + pipe[0] + ": Bad file descriptor", closed.getMessage());
        final ErrnoException missing = assertThrows(ErrnoException.class,
                () -> linux.open("/nonexistent/rootlessjkit", Linux.OPEN_DIRECTORY, 0));
        assertEquals(ENOENT, missing.errno());
        assertEquals("open /nonexistent/rootlessjkit: No such file or directory", missing.getMessage());
    }

    @Test
    void spawnMapsDescriptorsPassesArgumentsAndEnvironmentAndReportsTheExitStatus() throws Exception {
        final int[] pipe = linux.pipe();
        final int pid;
        try {
            // The child writes its arguments and environment to fd 3, our pipe's write end.
            pid = linux.spawn("/bin/sh", List.of("sh", "-c", "printf '%s|%s' \"$1\" \"$GREETING\" >&3; exit 7", "sh",
                    "argument with spaces"), Map.of("GREETING", "héllo"), Map.of(3, pipe[1]), 4);
        } finally {
            linux.close(pipe[1]);
        }
        final Linux.Reaped reaped = linux.waitpid(pid, 0);
        assertNotNull(reaped);
        assertEquals(pid, reaped.pid());
        assertTrue(reaped.status().exited());
        assertEquals(7, reaped.status().exitCode());
        final byte[] got = new byte[256];
        final int n = linux.read(pipe[0], got, got.length);
        linux.close(pipe[0]);
        assertEquals("argument with spaces|héllo", new String(got, 0, n, StandardCharsets.UTF_8));
        assertEquals(null, linux.waitpid(pid, Linux.WNOHANG), "reaped already: no such child");
    }

    @Test
    void spawnSwapsTwoDescriptorsWhoseSourcesAreEachOthersTargets() throws Exception {
        final int[] first = linux.pipe();
        final int[] second = linux.pipe();
        // Two fds n < m; the child is to get the second pipe on n and the first on m. Applied in order without the
        // copies, the first dup2 would overwrite a source the second still needs. (dash's >&N takes one digit.)
        final int n = linux.duplicateAbove(first[1], 20);
        final int m = linux.duplicateAbove(second[1], n + 1);
        final int pid;
        try {
            pid = linux.spawn("/bin/sh", List.of("sh", "-c", "printf on-n >/proc/self/fd/" + n + "; printf on-m >/proc/self/fd/" + m),
                    Map.of(), Map.of(m, n, n, m), m + 1);
        } finally {
            linux.closeQuietly(n, m, first[1], second[1]);
        }
        assertEquals(0, linux.waitpid(pid, 0).status().exitCode());
        final byte[] got = new byte[64];
        assertEquals("on-m", new String(got, 0, linux.read(first[0], got, got.length), StandardCharsets.UTF_8));
        assertEquals("on-n", new String(got, 0, linux.read(second[0], got, got.length), StandardCharsets.UTF_8));
        linux.closeQuietly(first[0], second[0]);
    }

    @Test
    void spawnFeedsOneSourceToSeveralTargetsThatIncludeItself() throws Exception {
        final int[] pipe = linux.pipe();
        // The source n is one of its own targets, so it is copied above them for the spawn: once, for both.
        final int n = linux.duplicateAbove(pipe[1], 20);
        final int pid;
        try {
            pid = linux.spawn("/bin/sh", List.of("sh", "-c", "printf a >/proc/self/fd/" + n + "; printf b >/proc/self/fd/" + (n + 1)),
                    Map.of(), Map.of(n, n, n + 1, n), n + 2);
        } finally {
            linux.closeQuietly(n, pipe[1]);
        }
        assertEquals(0, linux.waitpid(pid, 0).status().exitCode());
        final byte[] got = new byte[64];
        assertEquals("ab", new String(got, 0, linux.read(pipe[0], got, got.length), StandardCharsets.UTF_8));
        linux.closeQuietly(pipe[0]);
    }

    @Test
    void spawnWithOutputGathersStdoutAndStderrOnOnePipe() throws Exception {
        final Linux.Spawned spawned = linux.spawnWithOutput("/bin/sh",
                List.of("sh", "-c", "read line || printf 'stdin at end;'; printf out; printf err >&2"), Map.of(),
                Map.of());
        assertEquals(0, linux.waitpid(spawned.pid(), 0).status().exitCode());
        final StringBuilder output = new StringBuilder();
        final byte[] got = new byte[64];
        for (int r; (r = linux.read(spawned.outputFd(), got, got.length)) > 0;) {
            output.append(new String(got, 0, r, StandardCharsets.UTF_8));
        }
        linux.close(spawned.outputFd());
        assertEquals("stdin at end;outerr", output.toString());
    }

    @Test
    void aSignalledChildIsReportedAsSignalled() throws Exception {
        final int pid = linux.spawn("/bin/sleep", List.of("sleep", "30"), Map.of(), Map.of(), 3);
        linux.kill(pid, Signals.SIGKILL);
        final Linux.Reaped reaped = linux.waitpid(pid, 0);
        assertNotNull(reaped);
        assertTrue(reaped.status().signaled());
        assertEquals(Signals.SIGKILL, reaped.status().signal());
    }

    @Test
    void chmodSetsTheBitsJavaNioCannot(@TempDir Path dir) throws Exception {
        final Path file = Files.createFile(dir.resolve("f"));
        linux.chmod(file.toString(), 01755);
        assertEquals(01755, ((Integer) Files.getAttribute(file, "unix:mode")) & 07777);
    }

    @Test
    void flockConflictsBetweenOpenFilesAndFreesOnClose(@TempDir Path dir) throws Exception {
        final String path = dir.resolve("lock").toString();
        final int first = linux.open(path, Linux.OPEN_FILE_NO_FOLLOW, 0600);
        final int second = linux.open(path, Linux.OPEN_FILE_NO_FOLLOW, 0600);
        try {
            assertTrue(linux.tryFlock(first, true, path));
            assertFalse(linux.tryFlock(second, true, path), "held by the first open file");
            linux.close(first);
            assertTrue(linux.tryFlock(second, false, path));
        } finally {
            linux.close(second);
        }
    }

    @Test
    void openRefusesToFollowASymlinkWhereAFileIsExpected(@TempDir Path dir) throws Exception {
        final Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("target"));
        final ErrnoException e = assertThrows(ErrnoException.class,
                () -> linux.open(link.toString(), Linux.OPEN_FILE_NO_FOLLOW, 0600));
        assertTrue(e.getMessage().startsWith("open " + link + ": "), e.getMessage());
        assertFalse(Files.exists(dir.resolve("target")));
    }

    @Test
    void idsAreThoseOfThisProcess() throws Exception {
        final String status = Files.readString(Path.of("/proc/self/status"));
        final String uids = status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
        final String gids = status.lines().filter(l -> l.startsWith("Gid:")).findFirst().orElseThrow();
        // Uid: real effective saved filesystem
        assertEquals(uids.split("\\s+")[2], Integer.toString(linux.geteuid()));
        assertEquals(gids.split("\\s+")[2], Integer.toString(linux.getegid()));
    }

    @Test
    void awaitAnyReadableTellsWhichFdIsReady() throws Exception {
        final int[] quiet = linux.pipe();
        final int[] ready = linux.pipe();
        try {
            assertEquals(-1, linux.awaitAnyReadable(10, quiet[0], ready[0]));
            linux.write(ready[1], new byte[] {1}, 1);
            assertEquals(1, linux.awaitAnyReadable(1000, quiet[0], ready[0]));
            linux.close(quiet[1]);
            assertEquals(0, linux.awaitAnyReadable(-1, quiet[0]), "a pipe whose writers are gone is readable");
        } finally {
            for (int fd : new int[] {quiet[0], ready[0], ready[1]}) {
                linux.close(fd);
            }
        }
    }
}
