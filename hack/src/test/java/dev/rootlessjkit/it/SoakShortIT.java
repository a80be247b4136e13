package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The short soak ({@code hack/soak.sh --short}) in CI: start/stop cycles with builtin and usernet ports leaving
 * nothing behind, SIGKILL of the parent mid-traffic, forwarded connections with fds/threads/RSS back to idle, a guest
 * flood toward host loopback, API abuse and fd exhaustion, each with small counts. The script runs the launcher as
 * the test user and fails when any row of its table fails; the table is in the failure message.
 */
class SoakShortIT {

    @Test
    void shortSoakPassesEveryCheck() {
        final String repo = System.getProperty("rootlessjkit.repo");
        if (repo == null) {
            throw new IllegalStateException("system property rootlessjkit.repo is not set: run the integration tests "
                    + "through Maven (`mvn -B verify` at the repository root)");
        }
        final Path script = Path.of(repo).toAbsolutePath().normalize().resolve("hack/soak.sh");
        if (!Files.isExecutable(script)) {
            throw new IllegalStateException(script + " is missing or not executable");
        }
        // Three minutes on a quiet machine; the deadline leaves room for a loaded CI runner.
        final Result result = Exec.run(List.of(script.toString(), "--short"), Duration.ofMinutes(15));
        assertEquals(0, result.exitCode(), result.describe());
    }
}
