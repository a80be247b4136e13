package dev.rootlessjkit.it;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The command's exit status is the launcher's; 255 with the signal's name when the command dies from a signal. */
class ExitCodeIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.rootlessjkit.it.Modes#reaperModes")
    void exitStatusPassesThrough(List<String> mode) {
        for (final int code : new int[] {0, 42}) {
            final Result result = sandbox.rootless().launch(Modes.args(mode, "sh", "-c", "exit " + code)).run();
            Expect.exitCode(code, result);
        }
    }

    /** RootlessKit's integration-exit-code.sh: SIGUSR1 to child_pid ends `sleep`, the launcher reports it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.rootlessjkit.it.Modes#reaperModes")
    void signalToChildPidGives255(List<String> mode) {
        final Path state = sandbox.workspace().path().resolve("state");
        final Path ready = sandbox.workspace().path().resolve("ready");
        try (Running running = sandbox.rootless().launch(Modes.args(mode, "--state-dir=" + state, "sh", "-c",
                "touch \"$0\" && exec sleep 100", ready.toString())).start()) {
            running.awaitFile(ready);
            Host.signal(running.awaitPid(state.resolve("child_pid")), "USR1");

            final Result result = running.waitFor();

            Expect.exitCode(255, result);
            Expect.contains("user defined signal 1", result.output(), result);
        }
    }
}
