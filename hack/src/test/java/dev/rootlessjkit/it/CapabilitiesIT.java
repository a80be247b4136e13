package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The command's capabilities are those of uid 0 in the namespace and nothing more, as under RootlessKit: full
 * permitted and effective sets, empty inheritable and ambient sets. The child JVM holds its capabilities through
 * `unshare --keep-caps` (inheritable and ambient); they must not reach the command and all it starts.
 */
class CapabilitiesIT {

    private static final String NONE = "0000000000000000";

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.rootlessjkit.it.Modes#reaperModes")
    void commandStartsWithoutInheritableOrAmbientCapabilities(List<String> mode) {
        final Result result = sandbox.rootless().launch(Modes.args(mode, "sh", "-c",
                "sed -n 's/^\\(Cap[A-Za-z]*\\):[[:space:]]*/\\1=/p' /proc/self/status")).run();

        Expect.exitCode(0, result);
        final Map<String, String> caps = result.keyValues();
        assertEquals(NONE, caps.get("CapInh"), result::describe);
        assertEquals(NONE, caps.get("CapAmb"), result::describe);
        // The bounding set is the host's, which may lack the newest capabilities: compare with it.
        assertEquals(caps.get("CapBnd"), caps.get("CapPrm"), result::describe);
        assertEquals(caps.get("CapBnd"), caps.get("CapEff"), result::describe);
    }
}
