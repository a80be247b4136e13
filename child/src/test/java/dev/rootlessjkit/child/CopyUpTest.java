package dev.rootlessjkit.child;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.child.RecordingMounts.Call;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which subdirectories of a copied-up directory need a bind mount of their own (RootlessKit issue #225): those
 * holding a relative symlink that climbs above the copied-up directory, which from the hidden bind one level
 * deeper would resolve into the wrong place; and the mount calls a copy-up makes, through a
 * {@link RecordingMounts} that plays their effect on a directory tree of the test's. The kernel's side is
 * exercised by CopyUpIT.
 */
class CopyUpTest {
    @TempDir
    Path root;

    @Test
    void aRelativeLinkClimbsOutWhenItsDotDotsOutnumberItsDepth() {
        // A link in etc/ssl (depth 1 below etc): ../x stays in etc, ../../x leaves it.
        assertFalse(CopyUp.climbsOutTarget(Path.of("ssl"), Path.of("../certs/ca.pem")));
        assertTrue(CopyUp.climbsOutTarget(Path.of("ssl"), Path.of("../../var/lib/ca.pem")));
        assertFalse(CopyUp.climbsOutTarget(Path.of("ssl"), Path.of("/var/lib/ca.pem")), "absolute: unaffected");
        assertFalse(CopyUp.climbsOutTarget(Path.of("ssl"), Path.of("./a/../../x")), "down before up");
        assertTrue(CopyUp.climbsOutTarget(Path.of("ssl"), Path.of("../../../x/y/z")));
    }

    @Test
    void findsSuchALinkAnywhereBelowADirectoryAndIgnoresOthers() throws Exception {
        final Path etc = Files.createDirectories(root.resolve("etc"));
        final Path ssl = Files.createDirectories(etc.resolve("ssl/certs"));
        Files.createSymbolicLink(ssl.resolve("inside.pem"), Path.of("../other.pem"));
        Files.createSymbolicLink(ssl.resolve("absolute.pem"), Path.of("/usr/share/ca.pem"));
        assertFalse(CopyUp.hasLinkClimbingOut(etc.resolve("ssl")));
        Files.createSymbolicLink(ssl.resolve("outside.pem"), Path.of("../../../var/lib/ca.pem"));
        assertTrue(CopyUp.hasLinkClimbingOut(etc.resolve("ssl")));
    }

    /** No Linux is given: a mount attempted before the refusal would fail the test with a NullPointerException. */
    @Test
    void refusesTmpAndWhatIsNotADirectoryBeforeMountingAnything() throws Exception {
        final CopyUp copyUp = new CopyUp(null, new Log("child", false));
        final Path file = Files.writeString(root.resolve("file"), "x");

        copyUp.copyUp(List.of());
        for (final String tmp : List.of("/tmp", "/tmp/", "/tmp/../tmp", "/./tmp")) {
            assertEquals("/tmp cannot be copied up",
                    assertThrows(ChildException.class, () -> copyUp.copyUp(List.of(tmp))).getMessage(), tmp);
        }
        assertEquals("cannot copy up " + file + ": not a directory",
                assertThrows(ChildException.class, () -> copyUp.copyUp(List.of(file.toString()))).getMessage());
        assertEquals("cannot copy up " + root.resolve("missing") + ": not a directory",
                assertThrows(ChildException.class, () -> copyUp.copyUp(List.of(root + "/sub/../missing")))
                        .getMessage());
    }

    /**
     * The mounts' effects, as far as the copy-up reads them back: the tmpfs over DIR leaves DIR empty while the
     * original stays visible at the scratch bind, and moving that bind to DIR/.roNNNN shows the original there.
     */
    private static RecordingMounts playingCopyUp(Path dir, Path scratchParent) {
        return new RecordingMounts().withEffect(call -> {
            if ("tmpfs".equals(call.fsType()) && call.target().equals(dir.toString())) {
                try (Stream<Path> scratches = Files.list(scratchParent)) {
                    moveEntries(dir, scratches.findFirst().orElseThrow());
                }
            } else if (call.flags() == Linux.MS_MOVE) {
                moveEntries(Path.of(call.source()), Path.of(call.target()));
            }
        });
    }

    private static void moveEntries(Path from, Path to) throws IOException {
        try (Stream<Path> entries = Files.list(from)) {
            for (Path entry : entries.toList()) {
                Files.move(entry, to.resolve(entry.getFileName()));
            }
        }
    }

    /**
     * The original bound aside, a tmpfs with the original's mode on the directory, the bind moved into it as
     * .roNNNN, one symlink per entry, and a bind of its own at the directory's depth for a subdirectory whose
     * links climb out.
     */
    @Test
    void copyUpMountsATmpfsAndLinksEveryEntryBack() throws Exception {
        final Path tmp = Files.createDirectory(root.resolve("tmp"));
        final Path etc = Files.createDirectory(root.resolve("etc"));
        Files.setPosixFilePermissions(etc, PosixFilePermissions.fromString("rwxr-x---"));
        Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost\n");
        Files.createSymbolicLink(etc.resolve("localtime"), Path.of("../usr/share/zoneinfo/UTC"));
        Files.createDirectories(etc.resolve("conf.d"));
        Files.createDirectories(etc.resolve("ssl/certs"));
        Files.createSymbolicLink(etc.resolve("ssl/certs/ca.pem"), Path.of("../../../var/lib/ca.pem"));
        final RecordingMounts mounts = playingCopyUp(etc, tmp);

        new CopyUp(mounts, new Log("child", false), tmp).copyUp(List.of(etc.toString()));

        final List<Call> calls = mounts.calls();
        assertEquals(4, calls.size(), calls.toString());
        final String scratch = calls.get(0).target();
        final Path hidden = Path.of(calls.get(2).target());
        final Path sslAtDepth = Path.of(calls.get(3).target());
        assertTrue(scratch.startsWith(tmp.resolve("rootlessjkit-b").toString()), scratch);
        assertEquals(etc, hidden.getParent());
        assertTrue(hidden.getFileName().toString().startsWith(".ro"), hidden.toString());
        assertEquals(etc, sslAtDepth.getParent());
        assertEquals(List.of(
                new Call(etc.toString(), scratch, null, Linux.MS_BIND | Linux.MS_REC, null),
                new Call("tmpfs", etc.toString(), "tmpfs", 0, "mode=750"),
                new Call(scratch, hidden.toString(), null, Linux.MS_MOVE, null),
                new Call(hidden.resolve("ssl").toString(), sslAtDepth.toString(), null, Linux.MS_BIND | Linux.MS_REC,
                        null)), calls);

        assertEquals(hidden.getFileName().resolve("hosts"), Files.readSymbolicLink(etc.resolve("hosts")));
        assertEquals(hidden.getFileName().resolve("conf.d"), Files.readSymbolicLink(etc.resolve("conf.d")));
        assertEquals(Path.of("../usr/share/zoneinfo/UTC"), Files.readSymbolicLink(etc.resolve("localtime")),
                "a symlink is recreated with its own target");
        assertEquals(sslAtDepth.getFileName(), Files.readSymbolicLink(etc.resolve("ssl")));
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "the scratch directory is removed");
        }
    }

    /** One scratch directory serves every copied-up directory in turn. */
    @Test
    void severalDirectoriesShareTheScratchBind() throws Exception {
        final Path tmp = Files.createDirectory(root.resolve("tmp"));
        final Path etc = Files.createDirectory(root.resolve("etc"));
        final Path run = Files.createDirectory(root.resolve("run"));
        Files.setPosixFilePermissions(etc, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
        final RecordingMounts mounts = new RecordingMounts();

        new CopyUp(mounts, new Log("child", false), tmp).copyUp(List.of(etc.toString(), run + "/."));

        final List<Call> calls = mounts.calls();
        assertEquals(6, calls.size(), calls.toString());
        final String scratch = calls.get(0).target();
        assertEquals(List.of(
                new Call(etc.toString(), scratch, null, Linux.MS_BIND | Linux.MS_REC, null),
                new Call("tmpfs", etc.toString(), "tmpfs", 0, "mode=755"),
                new Call(scratch, calls.get(2).target(), null, Linux.MS_MOVE, null),
                new Call(run.toString(), scratch, null, Linux.MS_BIND | Linux.MS_REC, null),
                new Call("tmpfs", run.toString(), "tmpfs", 0, "mode=700"),
                new Call(scratch, calls.get(5).target(), null, Linux.MS_MOVE, null)), calls);
        assertEquals(run, Path.of(calls.get(5).target()).getParent());
    }

    /** A refused mount names the directory and the kernel's error, stops the copy-up and leaves no scratch. */
    @Test
    void aFailedMountNamesTheDirectoryAndStops() throws Exception {
        final Path tmp = Files.createDirectory(root.resolve("tmp"));
        final Path etc = Files.createDirectory(root.resolve("etc"));
        final Path run = Files.createDirectory(root.resolve("run"));
        final RecordingMounts mounts = new RecordingMounts().failing(call -> "tmpfs".equals(call.fsType()));

        final ChildException e = assertThrows(ChildException.class,
                () -> new CopyUp(mounts, new Log("child", false), tmp).copyUp(List.of(etc.toString(), run.toString())));

        assertEquals("failed to copy up " + etc + ": mount tmpfs on " + etc + ": Operation not permitted",
                e.getMessage());
        assertEquals(2, mounts.calls().size(), "nothing after the failed mount: " + mounts.calls());
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "the scratch directory is removed");
        }
    }
}
