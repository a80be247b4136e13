package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The command runs as uid/gid 0 with the user's own id and all its sub-ids mapped (issue 2, first bullet). */
class IdMapIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void commandIsRootWithOwnIdAndSubIdsMapped() {
        final Rootless rootless = sandbox.rootless();
        final TestUser user = rootless.user();

        final Result result = rootless.launch("sh", "-c",
                "id -u; id -g; cat /proc/self/uid_map; echo --; cat /proc/self/gid_map").run();

        Expect.exitCode(0, result);
        final List<String> expected = new ArrayList<>(List.of("0", "0"));
        expected.addAll(TestUser.expectedMap(user.uid(), user.subUids()));
        expected.add("--");
        expected.addAll(TestUser.expectedMap(user.gid(), user.subGids()));
        assertEquals(expected, result.stdoutLines(), result::describe);
    }
}
