package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * RLIMIT_NOFILE: the parent runs with its soft limit raised to the hard limit (as Go programs such as RootlessKit
 * do; HotSpot's MaxFDLimit, on by default, does it for us), so held connections and flows do not run out of fds
 * at the usual 1024, and CMD sees what RootlessKit's CMD sees, checked side by side from a soft limit of 1024.
 */
class FdLimitIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void parentRaisesItsSoftLimitAndTheCommandSeesWhatRootlessKitsSees() throws IOException {
        final Path marker = sandbox.workspace().path().resolve("started");
        final String lowered = "ulimit -S -n 1024 && exec \"$@\"";
        try (Running running = sandbox.rootless().launch("sh", "-c", "touch \"$0\" && ulimit -n && exec sleep 100",
                marker.toString()).start()) {
            running.awaitFile(marker);
            final String[] limits = openFilesLimits(running.pid());
            assertEquals(limits[1], limits[0], "the parent's soft limit is not its hard limit");
        }
        final List<String> ours = new ArrayList<>(Host.asUser(sandbox.rootless().user()));
        ours.addAll(List.of("sh", "-c", lowered, "sh", sandbox.rootless().launcher(), "sh", "-c", "ulimit -n"));
        final List<String> theirs = new ArrayList<>(Host.asUser(sandbox.rootless().user()));
        theirs.addAll(List.of("sh", "-c", lowered, "sh", "/usr/bin/rootlesskit", "sh", "-c", "ulimit -n"));
        final Result ourResult = Exec.check(ours);
        final Result theirResult = Exec.check(theirs);
        assertEquals(theirResult.stdoutLines(), ourResult.stdoutLines(), ourResult.describe() + theirResult.describe());
    }

    /** {soft, hard} of "Max open files" in /proc/PID/limits. */
    private static String[] openFilesLimits(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
            if (line.startsWith("Max open files")) {
                final String[] fields = line.substring("Max open files".length()).strip().split("\\s+");
                return new String[] {fields[0], fields[1]};
            }
        }
        throw new AssertionError("no Max open files line for " + pid);
    }
}
