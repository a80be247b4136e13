package dev.rootlessjkit.it;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** User mistakes end with exit 1 and one clear line, no stack trace, and nothing left in $TMPDIR. */
class ErrorsIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.rootlessjkit.it.Modes#pidnsOrNot")
    void missingCommandIsOneLineNamingIt(List<String> mode) {
        final Result result = sandbox.rootless().launch(Modes.args(mode, "nonexistent-cmd-xyz")).run();

        Expect.oneLineError(result);
        Expect.contains("nonexistent-cmd-xyz", result.stderr(), result);
        Expect.emptyDir(sandbox.workspace().tmpdir(), result);
    }

    static Stream<List<String>> badFlags() {
        return Stream.of(
                List.of("--net=foo", "true"),
                List.of("--propagation=foo", "true"),
                List.of("--reaper=true", "true"),
                List.of("--reaper=foo", "--pidns", "true"),
                List.of("--copy-up-mode=foo", "true"),
                List.of("--subid-source=foo", "true"),
                List.of("--no-such-flag", "true"),
                List.of());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFlags")
    void badFlagsAreOneLineErrors(List<String> args) {
        final Result result = sandbox.rootless().launch(args.toArray(String[]::new)).run();

        Expect.oneLineError(result);
        Expect.emptyDir(sandbox.workspace().tmpdir(), result);
    }
}
