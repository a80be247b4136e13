package dev.rootlessjkit.child;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.log.Log;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which subdirectories of a copied-up directory need a bind mount of their own (RootlessKit issue #225): those
 * holding a relative symlink that climbs above the copied-up directory, which from the hidden bind one level
 * deeper would resolve into the wrong place. The mounts themselves are exercised by CopyUpIT.
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
}
