package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The state directory: exclusive lock, reuse after a crash, a temporary one that never outlives the run. */
class StateDirIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void secondInstanceOnTheSameStateDirFailsAndLeavesTheFirstAlone() throws IOException {
        final Workspace workspace = sandbox.workspace();
        final Path state = workspace.path().resolve("state");
        final Path ready = workspace.path().resolve("ready");
        final Path stop = workspace.path().resolve("stop");
        try (Running first = sandbox.rootless().launch("--state-dir=" + state, "sh", "-c",
                "touch \"$0\"; while [ ! -e \"$1\" ]; do sleep 0.05; done; exit 5", ready.toString(), stop.toString())
                .start()) {
            first.awaitFile(ready);
            final long childPid = first.awaitPid(state.resolve("child_pid"));

            final Result second = sandbox.rootless().launch("--state-dir=" + state, "true").run();

            Expect.exitCode(1, second);
            Expect.contains("lock", second.stderr().toLowerCase(java.util.Locale.ROOT), second);
            Expect.noStackTrace(second);
            assertTrue(first.isAlive(), () -> "the first instance died\n" + first.partialOutput());
            assertEquals(childPid, Running.readPid(state.resolve("child_pid")).orElse(-1L),
                    () -> "the first instance's child_pid changed\n" + second.describe());
            Files.createFile(stop);
            final Result firstResult = first.waitFor();
            Expect.exitCode(5, firstResult);
            Expect.emptyDir(state, firstResult);
        }
    }

    @Test
    void stateDirOfAKilledRunIsReusable() {
        final Workspace workspace = sandbox.workspace();
        final Path state = workspace.path().resolve("state");
        final Path ready = workspace.path().resolve("ready");
        try (Running crashed = sandbox.rootless().launch("--state-dir=" + state, "sh", "-c",
                "touch \"$0\" && exec sleep 100", ready.toString()).start()) {
            crashed.awaitFile(ready);
            crashed.awaitPid(state.resolve("child_pid"));
            final List<ProcessHandle> processes = new ArrayList<>(crashed.tree());
            processes.add(crashed.launcherHandle());
            crashed.signal("KILL");
            Expect.allGone(processes, Duration.ofSeconds(10), crashed.partialOutput());
        }

        final Result again = sandbox.rootless().launch("--state-dir=" + state, "sh", "-c", "echo reused").run();

        Expect.exitCode(0, again);
        assertEquals(List.of("reused"), again.stdoutLines(), again::describe);
        Expect.emptyDir(state, again);
    }

    @Test
    void temporaryStateDirIsUnderTmpdirAndRemoved() {
        final Path tmpdir = sandbox.workspace().tmpdir();

        final Result result = sandbox.rootless().launch("sh", "-c", "echo \"$ROOTLESSKIT_STATE_DIR\"").run();

        Expect.exitCode(0, result);
        assertTrue(result.stdout().strip().startsWith(tmpdir + "/"), () -> "state dir not under $TMPDIR "
                + tmpdir + "\n" + result.describe());
        Expect.emptyDir(tmpdir, result);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.rootlessjkit.it.Modes#pidnsOrNot")
    void temporaryStateDirIsRemovedWhenTheCommandIsKilled(List<String> mode) {
        final Result result = sandbox.rootless().launch(Modes.args(mode, "sh", "-c", "kill -KILL $$")).run();

        Expect.exitCode(255, result);
        Expect.emptyDir(sandbox.workspace().tmpdir(), result);
    }

    /** Another user's directory (here /tmp itself) is refused in one line. */
    @Test
    void aStateDirOfAnotherUserIsRefused() {
        final Result result = sandbox.rootless().launch("--state-dir=/tmp", "true").run();

        Expect.oneLineError(result);
        Expect.contains("state dir /tmp is owned by uid 0", result.stderr(), result);
    }
}
