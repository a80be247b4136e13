package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SIGKILL of the child (the PID in {@code $STATE/child_pid}) takes the command with it, and the launcher reports
 * the child's death, as RootlessKit does ("child exited: signal: killed"). The child stays resident, and is not
 * the command itself, when it serves the builtin port driver's child half or is PID 1 of a PID namespace.
 */
class ChildDeathIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    static List<List<String>> residentChildModes() {
        return List.of(
                List.of("--net=slirp4netns", "--port-driver=builtin"),
                List.of("--net=slirp4netns", "--port-driver=builtin", "--pidns"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("residentChildModes")
    void killingTheChildEndsTheCommandAndIsReportedAsTheChildsDeath(List<String> mode) {
        final Path state = sandbox.workspace().path().resolve("state");
        final Path marker = sandbox.workspace().path().resolve("cmd.started");
        final List<String> args = new ArrayList<>(mode);
        args.addAll(List.of("--state-dir=" + state, "sh", "-c", "touch \"$0\" && exec sleep 100",
                marker.toString()));
        try (Running running = sandbox.rootless().launch(args.toArray(String[]::new)).start()) {
            running.awaitFile(marker);
            final long childPid = running.awaitPid(state.resolve("child_pid"));
            final List<ProcessHandle> commands = running.tree().stream()
                    .filter(p -> p.info().command().map(c -> c.endsWith("/sleep")).orElse(false)).toList();
            assertFalse(commands.isEmpty(), () -> "no sleep below the launcher:" + Expect.describe(running.tree()));

            Host.signal(childPid, "KILL");

            Expect.allGone(commands, Duration.ofSeconds(10), running.partialOutput());
            final Result result = running.waitFor();
            assertTrue(!result.output().contains("command [sh"), result::describe);
            // With --pidns this is unshare's child: unshare's own "sigprocmask unblock failed" (util-linux 2.38)
            // must not stand in for it.
            Expect.contains("child exited: signal: killed", result.output(), result);
            assertFalse(result.output().contains("sigprocmask"), result::describe);
            assertEquals(255, result.exitCode(), result::describe);
        }
    }
}
