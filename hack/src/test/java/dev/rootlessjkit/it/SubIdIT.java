package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A user without /etc/subuid and /etc/subgid entries gets one clear error (never a silent single-id mapping), and
 * can opt in to mapping only its own id.
 */
class SubIdIT {

    @Test
    void missingSubIdsAreAClearErrorAndLeaveNothingBehind() {
        final TestUser user = TestUser.withoutSubIds();
        try (Workspace workspace = Workspace.create(user); Rootless rootless = new Rootless(workspace)) {
            final Result result = rootless.launch("true").run();

            Expect.oneLineError(result);
            Expect.contains("/etc/subuid", result.stderr(), result);
            Expect.emptyDir(workspace.tmpdir(), result);
            Expect.within(Duration.ofSeconds(10), "no process of " + user.name() + " left",
                    () -> ProcessHandle.allProcesses().filter(Host::running)
                            .noneMatch(p -> p.info().user().orElse("").equals(user.name())));
        }
    }

    @Test
    void singleIdMappingIsAnOptIn() {
        final TestUser user = TestUser.withoutSubIds();
        try (Workspace workspace = Workspace.create(user); Rootless rootless = new Rootless(workspace)) {
            final Result result = rootless.launch("--single-id-mapping", "sh", "-c",
                    "id -u; cat /proc/self/uid_map; echo --; cat /proc/self/gid_map").run();

            Expect.exitCode(0, result);
            assertEquals(List.of("0", "0 " + user.uid() + " 1", "--", "0 " + user.gid() + " 1"),
                    result.stdoutLines(), result::describe);
            Expect.emptyDir(workspace.tmpdir(), result);
        }
    }
}
