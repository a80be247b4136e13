package dev.rootlessjkit.child;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
}
