package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
     * As with RootlessKit, every top-level entry is a symlink into the original, so scripts can {@code rm -f} an
     * entry, directory or file, and put their own in its place; what they write there stays inside, and the host's
     * originals are untouched. Relative links keep resolving, including one that climbs out of the copied-up
     * directory from a subdirectory (RootlessKit's issue #225, where it lands one level too deep) and a top-level
     * relative link. Like RootlessKit's, a subdirectory left in place is the original: writes into it reach it.
     */
    @Test
    void topLevelEntriesAreSymlinksThatScriptsReplace() {
        final Workspace workspace = sandbox.workspace();
        workspace.ownerShell("mkdir -p d/sub d/other && echo outer > target-file && echo inner > d/inner-file"
                + " && ln -s ../../target-file d/sub/up-link && ln -s ../inner-file d/sub/in-link"
                + " && ln -s ../target-file d/top-link && echo kept > d/other/kept");
        final Path dir = workspace.path().resolve("d");

        final Result result = sandbox.rootless().launch("--copy-up=" + dir, "sh", "-c",
                "set -e; cd \"$0\"; for e in inner-file other sub top-link; do [ -L \"$e\" ] || echo \"$e not a link\"; done"
                        + "; cat sub/up-link sub/in-link top-link other/kept"
                        + "; rm -f sub inner-file; mkdir sub; echo new > sub/new-file; echo replaced > inner-file"
                        + "; echo top > new-top; cat sub/new-file inner-file new-top", dir.toString()).run();

        Expect.exitCode(0, result);
        assertEquals(List.of("outer", "inner", "outer", "kept", "new", "replaced", "top"), result.stdoutLines(),
                result::describe);
        assertEquals(List.of("inner-file", "other", "sub", "top-link"), Workspace.list(dir),
                () -> "host's " + dir + " changed\n" + result.describe());
        assertEquals(List.of("in-link", "up-link"), Workspace.list(dir.resolve("sub")),
                () -> "host's " + dir.resolve("sub") + " changed\n" + result.describe());
        assertEquals(List.of("inner"), readLines(dir.resolve("inner-file")));
    }

    /** {@code --copy-up=/var/run} style: the tmpfs takes the mode of the directory, not of the symlink to it. */
    @Test
    void directoryReachedThroughASymlinkKeepsItsMode() {
        final Workspace workspace = sandbox.workspace();
        workspace.ownerShell("mkdir real && chmod 0750 real && touch real/file && ln -s real link");
        final Path link = workspace.path().resolve("link");

        final Result result = sandbox.rootless().launch("--copy-up=" + link, "sh", "-c",
                "stat -L -c %a \"$0\" && [ -L \"$0/file\" ] && echo linked", link.toString()).run();

        Expect.exitCode(0, result);
        assertEquals(List.of("750", "linked"), result.stdoutLines(), result::describe);
    }

    /**
     * What nerdctl's containerd-rootless.sh does in the child (copy-up of /etc, /run and /var/lib, then
     * {@code rm -f} of the entries it replaces and bind mounts of its own), then containerd started with a
     * config under the copied-up /etc, answering {@code ctr version} on /run/containerd/containerd.sock.
     */
    @Test
    void containerdRootlessScriptSequenceRunsContainerd() {
        final Workspace workspace = sandbox.workspace();
        final Path runtime = workspace.mkdir("xdg-runtime");
        final Path data = workspace.mkdir("data");
        final Path config = workspace.mkdir("config");
        final String script = String.join("\n",
                "set -e",
                "rm -f /run/containerd /run/xtables.lock /var/lib/containerd /var/lib/cni /etc/containerd",
                "realpath_etc_ssl=$(realpath /etc/ssl)",
                "rm -f /etc/ssl",
                "mkdir /etc/ssl",
                "mount --rbind \"$realpath_etc_ssl\" /etc/ssl",
                "mkdir -p \"$XDG_RUNTIME_DIR/containerd\" /run/containerd",
                "mount --bind \"$XDG_RUNTIME_DIR/containerd\" /run/containerd",
                "mkdir -p \"$XDG_DATA_HOME/containerd\" /var/lib/containerd",
                "mount --bind \"$XDG_DATA_HOME/containerd\" /var/lib/containerd",
                "mkdir -p \"$XDG_DATA_HOME/cni\" /var/lib/cni",
                "mount --bind \"$XDG_DATA_HOME/cni\" /var/lib/cni",
                "mkdir -p \"$XDG_CONFIG_HOME/containerd\" /etc/containerd",
                "mount --bind \"$XDG_CONFIG_HOME/containerd\" /etc/containerd",
                "printf 'version = 2\\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\\n' > /etc/containerd/config.toml",
                "containerd --config /etc/containerd/config.toml > \"$XDG_RUNTIME_DIR/containerd.log\" 2>&1 &",
                "pid=$!",
                "i=0; until ctr version > /dev/null 2>&1 || [ $i -ge 200 ]; do sleep 0.1; i=$((i+1)); done",
                "ctr version || { cat \"$XDG_RUNTIME_DIR/containerd.log\" >&2; exit 1; }",
                "kill $pid; wait $pid || true",
                "ls /etc/containerd /var/lib/containerd > /dev/null");

        final Result result = sandbox.rootless().launch("--copy-up=/etc", "--copy-up=/run", "--copy-up=/var/lib",
                "--propagation=rslave", "sh", "-c", script)
                .env("XDG_RUNTIME_DIR", runtime.toString())
                .env("XDG_DATA_HOME", data.toString())
                .env("XDG_CONFIG_HOME", config.toString())
                .run();

        Expect.exitCode(0, result);
        Expect.contains("Server:", result.output(), result);
        assertTrue(Files.exists(config.resolve("containerd/config.toml")), result::describe);
        assertTrue(Files.isDirectory(data.resolve("containerd")), result::describe);
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
