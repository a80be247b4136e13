package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** stdin and the controlling terminal pass through to the command (RootlessKit's #557 regression test). */
class TerminalIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.rootlessjkit.it.Modes#pidnsOrNot")
    void stdinReachesCommand(List<String> mode) {
        final Result result = sandbox.rootless().launch(Modes.args(mode, "cat")).stdin("hello\n").run();

        Expect.exitCode(0, result);
        assertEquals("hello\n", result.stdout(), result::describe);
    }

    @Test
    void commandKeepsTheTerminal() {
        final Rootless rootless = sandbox.rootless();
        final Result result = rootless.program(List.of("script", "-qec",
                Shell.join(List.of(rootless.launcher(), "sh", "-c", "tty; echo DONE")), "/dev/null")).run();

        Expect.exitCode(0, result);
        assertTrue(result.stdoutLines().contains("DONE"), result::describe);
        assertTrue(result.stdout().contains("/dev/pts/"), () -> "no terminal\n" + result.describe());
        assertFalse(result.output().contains("cannot set terminal process group"), result::describe);
    }

    /** An interactive shell reads commands from the terminal and gets job control (it is in the foreground). */
    @Test
    void interactiveShellWorks() {
        final Rootless rootless = sandbox.rootless();
        final Result result = rootless.program(List.of("script", "-qec",
                Shell.join(List.of(rootless.launcher(), "sh", "-i")), "/dev/null"))
                .stdin("echo INTER-$((40+2))\nexit 3\n").run();

        Expect.exitCode(3, result);
        Expect.contains("INTER-42", result.stdout(), result);
        assertFalse(result.output().contains("job control turned off"), result::describe);
        assertFalse(result.output().contains("cannot set terminal process group"), result::describe);
    }
}
