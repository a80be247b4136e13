package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** SIGKILL of the launcher takes the child and the command with it (RootlessKit's integration-pdeathsig.sh). */
class ParentDeathIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.rootlessjkit.it.Modes#pidnsOrNot")
    void killingTheLauncherEndsEverything(List<String> mode) {
        final Path cmdPidFile = sandbox.workspace().path().resolve("cmd.pid");
        try (Running running = sandbox.rootless().launch(Modes.args(mode, "sh", "-c",
                "echo $$ > \"$0\" && exec sleep 100", cmdPidFile.toString())).start()) {
            final long pidInside = running.awaitPid(cmdPidFile);
            final List<ProcessHandle> processes = new ArrayList<>(running.tree());
            final long commandPid = mode.contains("--pidns") ? hostPidOf(pidInside, processes) : pidInside;
            assertTrue(processes.stream().anyMatch(p -> p.pid() == commandPid),
                    () -> "command " + commandPid + " is not below the launcher:" + Expect.describe(processes));
            processes.add(running.launcherHandle());

            running.signal("KILL");

            Expect.allGone(processes, Duration.ofSeconds(10), running.partialOutput());
        }
    }

    /** The host PID of the process whose PID in its own (nested) namespace is {@code pidInside}. */
    private static long hostPidOf(long pidInside, List<ProcessHandle> candidates) {
        for (final ProcessHandle candidate : candidates) {
            final Optional<String[]> nspid = nsPids(candidate.pid());
            if (nspid.isPresent() && nspid.get().length > 1
                    && nspid.get()[nspid.get().length - 1].equals(Long.toString(pidInside))) {
                return candidate.pid();
            }
        }
        throw new AssertionError("no process below the launcher has PID " + pidInside + " in a nested namespace:"
                + Expect.describe(candidates));
    }

    private static Optional<String[]> nsPids(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                    .filter(line -> line.startsWith("NSpid:"))
                    .map(line -> line.substring("NSpid:".length()).strip().split("\\s+")).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
