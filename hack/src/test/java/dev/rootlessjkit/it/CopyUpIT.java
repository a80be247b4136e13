package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** --copy-up=DIR: DIR is writable inside, nothing written there reaches the host, symlinks keep resolving. */
class CopyUpIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void writesToCopiedUpEtcStayInside() throws IOException {
        final String name = "rjtest-copyup-" + UUID.randomUUID();
        final Path hostFile = Path.of("/etc", name);
        final List<String> before = Workspace.list(Path.of("/etc"));

        final Result result = sandbox.rootless().launch("--copy-up=/etc", "sh", "-c",
                "echo hi > /etc/" + name + " && cat /etc/" + name + " && head -n 1 /etc/passwd").run();

        Expect.exitCode(0, result);
        final String firstPasswdLine = Files.readAllLines(Path.of("/etc/passwd")).get(0);
        assertEquals(List.of("hi", firstPasswdLine), result.stdoutLines(), result::describe);
        assertFalse(Files.exists(hostFile), () -> hostFile + " appeared on the host\n" + result.describe());
        final List<String> added = new ArrayList<>(Workspace.list(Path.of("/etc")));
        added.removeAll(before);
        assertEquals(List.of(), added, () -> "new entries in the host's /etc\n" + result.describe());
    }

    /**
     * RootlessKit replaces each top-level entry by a symlink into a hidden bind of the original, which adds a
     * directory level and breaks relative links that climb out of a subdirectory (its issue #225). A link climbing
     * out of the copied-up directory must still resolve, and new files, even in subdirectories, stay inside.
     */
    @Test
    void relativeSymlinksInSubdirectoriesResolveAndNewFilesStayInside() {
        final Workspace workspace = sandbox.workspace();
        workspace.ownerShell("mkdir -p d/sub && echo outer > target-file && echo inner > d/inner-file"
                + " && ln -s ../../target-file d/sub/up-link && ln -s ../inner-file d/sub/in-link");
        final Path dir = workspace.path().resolve("d");

        final Result result = sandbox.rootless().launch("--copy-up=" + dir, "sh", "-c",
                "cd \"$0\" && cat sub/up-link sub/in-link && echo new > sub/new-file && echo top > new-top"
                        + " && cat sub/new-file new-top", dir.toString()).run();

        Expect.exitCode(0, result);
        assertEquals(List.of("outer", "inner", "new", "top"), result.stdoutLines(), result::describe);
        assertEquals(List.of("inner-file", "sub"), Workspace.list(dir), () -> "host's " + dir + " changed\n"
                + result.describe());
        assertEquals(List.of("in-link", "up-link"), Workspace.list(dir.resolve("sub")),
                () -> "host's " + dir.resolve("sub") + " changed\n" + result.describe());
    }
}
