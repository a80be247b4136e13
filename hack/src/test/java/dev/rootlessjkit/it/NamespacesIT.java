package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The optional namespaces: a host name of its own with --utsns, a loopback-only network with --net=none. */
class NamespacesIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void utsNamespaceHasItsOwnHostname() {
        final String before = Host.hostname();

        final Result result = sandbox.rootless().launch("--utsns", "sh", "-c", "hostname rjtest-host && hostname")
                .run();

        Expect.exitCode(0, result);
        assertEquals(List.of("rjtest-host"), result.stdoutLines(), result::describe);
        assertEquals(before, Host.hostname(), "the host's name changed");
    }

    @Test
    void netNoneHasOnlyLoopbackAndItIsUp() {
        final Result result = sandbox.rootless().launch("--net=none", "sh", "-c",
                "echo ifaces=$(ls /sys/class/net); echo flags=$(cat /sys/class/net/lo/flags)").run();

        Expect.exitCode(0, result);
        assertEquals("lo", result.keyValues().get("ifaces"), result::describe);
        final int flags = Integer.decode(result.keyValues().get("flags"));
        assertTrue((flags & 0x1) != 0, () -> "lo is not up (IFF_UP clear)\n" + result.describe());
    }
}
