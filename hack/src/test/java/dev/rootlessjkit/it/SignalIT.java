package dev.rootlessjkit.it;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Signals sent to the launcher's PID reach the command, which decides what to do with them. */
class SignalIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    static Stream<Arguments> signalsAndModes() {
        return Modes.pidnsOrNot().flatMap(mode -> Stream.of("INT", "TERM", "HUP", "USR1", "USR2")
                .map(signal -> Arguments.of(signal, mode)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("signalsAndModes")
    void signalToLauncherReachesCommand(String signal, List<String> mode) {
        final Path ready = sandbox.workspace().path().resolve("ready");
        final String script = "trap 'echo got-" + signal + "; exit 7' " + signal
                + "; touch \"$0\"; while :; do sleep 0.1; done";
        try (Running running = sandbox.rootless().launch(Modes.args(mode, "sh", "-c", script, ready.toString()))
                .start()) {
            running.awaitFile(ready);
            // If this fails, the launcher's dispositions tell whether it ignored the signal it should forward.
            final String dispositions = Host.signalDispositions(running.pid());
            running.signal(signal);

            final Result result = running.waitFor().annotate("launcher's signal masks before " + signal + ": "
                    + dispositions);

            Expect.exitCode(7, result);
            Expect.contains("got-" + signal, result.stdout(), result);
        }
    }
}
