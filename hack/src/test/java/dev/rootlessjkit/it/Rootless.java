package dev.rootlessjkit.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the real launcher ({@code ./rootlessjkit} at the repository root, or $ROOTLESSJKIT_TEST_LAUNCHER, which lets
 * the same tests run against RootlessKit) as the workspace's owner, and cleans up every process it started.
 */
final class Rootless implements AutoCloseable {

    private final Workspace workspace;
    private final String launcher;
    private final List<Running> started = new ArrayList<>();
    private int invocations;

    Rootless(Workspace workspace) {
        this.workspace = workspace;
        this.launcher = locateLauncher();
        checkOwnerCanRun();
    }

    String launcher() {
        return launcher;
    }

    TestUser user() {
        return workspace.owner();
    }

    Workspace workspace() {
        return workspace;
    }

    /** The launcher with these arguments. */
    Invocation launch(String... args) {
        final List<String> argv = new ArrayList<>();
        argv.add(launcher);
        argv.addAll(List.of(args));
        return program(argv);
    }

    /** Any program run as the workspace's owner, e.g. a wrapper that itself starts {@link #launcher()}. */
    Invocation program(List<String> argv) {
        invocations++;
        return new Invocation(this, argv, workspace.path().resolve(".pid-" + invocations));
    }

    void track(Running running) {
        started.add(running);
    }

    @Override
    public void close() {
        started.forEach(Running::close);
        started.clear();
    }

    private static String locateLauncher() {
        final String override = System.getenv("ROOTLESSJKIT_TEST_LAUNCHER");
        if (override != null && !override.isBlank()) {
            return override;
        }
        final String repo = System.getProperty("rootlessjkit.repo");
        if (repo == null) {
            throw new IllegalStateException("system property rootlessjkit.repo is not set: run the integration tests "
                    + "through Maven (`mvn -B verify` at the repository root)");
        }
        final Path launcher = Path.of(repo).toAbsolutePath().normalize().resolve("rootlessjkit");
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException("launcher " + launcher + " is missing or not executable; it comes with "
                    + "the build (`mvn -B package -DskipTests`)");
        }
        return launcher.toString();
    }

    /** Fails loudly when the account cannot reach the launcher (e.g. a checkout under /root). */
    private void checkOwnerCanRun() {
        final List<String> probe = new ArrayList<>(Host.asUser(workspace.owner()));
        if (launcher.contains("/")) {
            probe.addAll(List.of("test", "-x", launcher, "-a", "-r", launcher));
        } else {
            probe.addAll(List.of("sh", "-c", "command -v \"$0\" >/dev/null", launcher));
        }
        final Result result = Exec.run(probe, java.time.Duration.ofSeconds(30));
        if (result.exitCode() != 0) {
            throw new IllegalStateException("user " + workspace.owner().name() + " cannot run " + launcher
                    + ": every directory above the checkout must be searchable and its files readable by that "
                    + "user (.ci/run copies the checkout to /var/tmp when they are not)\n" + result.describe());
        }
    }
}
