package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The install route a user takes (issue 15): the release archive made from this build, unpacked and installed by
 * the test user under a prefix, then the unpacked tree deleted, so that nothing can still come from a source tree
 * (what `mvn clean` of a checkout would do to an installation that depended on it). The installed launchers, run
 * from another directory under both names, start without a warning (their start-up archives were trained for the
 * installed jars), the two API clients work against a running instance, and uninstall leaves nothing behind.
 */
class InstallIT {

    private static final Duration INSTALL_TIMEOUT = Duration.ofSeconds(180);

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void releaseArchiveInstallsRunsWithoutItsSourceAndUninstallsCleanly() throws IOException {
        final Rootless rootless = sandbox.rootless();
        final Workspace workspace = sandbox.workspace();
        final Path repo = Path.of(System.getProperty("rootlessjkit.repo")).toAbsolutePath().normalize();
        final Path prefix = workspace.path().resolve("prefix");
        final Path unpacked = workspace.mkdir("unpacked");

        final Result dist = user(rootless, List.of(repo.resolve("hack/dist.sh").toString(),
                workspace.path().resolve("release").toString()));
        Expect.exitCode(0, dist);
        workspace.ownerShell("tar -C unpacked -xzf release/rootlessjkit-*.tar.gz");
        final Path tree;
        try (Stream<Path> entries = Files.list(unpacked)) {
            tree = entries.findFirst().orElseThrow();
        }
        final Result install = user(rootless, List.of(tree.resolve("install.sh").toString(), "--prefix=" + prefix));
        Expect.exitCode(0, install);
        workspace.ownerShell("rm -rf unpacked");

        final Path lib = prefix.resolve("lib/rootlessjkit");
        assertEquals(List.of("rootlessctl", "rootlessjctl", "rootlessjkit", "rootlesskit", "rootlesskit-docker-proxy"),
                Workspace.list(prefix.resolve("bin")), install::describe);
        // hack/build-cds.sh trains into lib/archives/<JDK build>/: an AOT cache (JDK 25+) or an AppCDS archive.
        final List<String> archives;
        try (Stream<Path> files = Files.walk(lib.resolve("archives"))) {
            archives = files.map(path -> path.getFileName().toString())
                    .filter(name -> name.endsWith(".aot") || name.endsWith(".jsa")).toList();
        }
        final String kind = archives.contains("parent.aot") ? ".aot" : ".jsa";
        // parent-network needs slirp4netns at build time, which the tests' machine has.
        assertTrue(archives.containsAll(List.of("parent" + kind, "parent-usernet" + kind, "parent-network" + kind,
                "child" + kind, "child-network" + kind)),
                () -> "start-up archives missing in " + lib + "/archives: " + archives + "\n" + install.describe());

        for (final String name : List.of("rootlessjkit", "rootlesskit")) {
            final Result id = user(rootless, List.of(prefix.resolve("bin").resolve(name).toString(), "sh", "-c", "id"));
            Expect.exitCode(0, id);
            Expect.contains("uid=0(root) gid=0(root)", id.stdout(), id);
            // A JVM that cannot map an archive says so on stderr: the installed ones must fit the installed jars.
            assertEquals("", id.stderr(), id::describe);
        }

        final int port = freePort();
        final Path stateDir = workspace.path().resolve("state");
        try (Running instance = rootless.program(List.of("env", "-u", "ROOTLESSJKIT_DIST",
                prefix.resolve("bin/rootlesskit").toString(), "--state-dir=" + stateDir, "--net=slirp4netns",
                "--port-driver=builtin", "sleep", "infinity")).start()) {
            instance.await("api.sock", Duration.ofSeconds(60), () -> Files.exists(stateDir.resolve("api.sock")));
            // A child that configures an interface and serves the builtin driver's child half starts from the
            // archive trained on that path.
            final String childPid = Files.readString(stateDir.resolve("child_pid")).trim();
            final String childCommand = Files.readString(Path.of("/proc", childPid, "cmdline")).replace('\0', ' ');
            assertTrue(childCommand.contains("/child-network" + kind + " "),
                    () -> "the child JVM was not given the child-network archive: " + childCommand + "\n"
                            + instance.partialOutput());
            final String socket = stateDir.resolve("api.sock").toString();
            final Result add = user(rootless, List.of(prefix.resolve("bin/rootlessctl").toString(), "--socket", socket,
                    "add-ports", "127.0.0.1:" + port + ":80/tcp"));
            Expect.exitCode(0, add);
            final Result list = user(rootless, List.of(prefix.resolve("bin/rootlessjctl").toString(), "--socket",
                    socket, "list-ports", "--json"));
            Expect.exitCode(0, list);
            Expect.contains("\"parentIP\":\"127.0.0.1\",\"parentPort\":" + port + ",", list.stdout(), list);
            instance.signal("TERM");
            instance.waitFor();
        }

        final Result uninstall = user(rootless, List.of(repo.resolve("hack/install.sh").toString(), "--uninstall",
                "--prefix=" + prefix));
        Expect.exitCode(0, uninstall);
        assertFalse(Files.exists(prefix), () -> "left behind: " + Workspace.list(prefix) + "\n" + uninstall.describe());
    }

    /** Runs as the test user from the workspace, never with a jar directory inherited from the suite's own run. */
    private static Result user(Rootless rootless, List<String> argv) {
        final List<String> command = new ArrayList<>(List.of("env", "-u", "ROOTLESSJKIT_DIST"));
        command.addAll(argv);
        return rootless.program(command).timeout(INSTALL_TIMEOUT).run();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
