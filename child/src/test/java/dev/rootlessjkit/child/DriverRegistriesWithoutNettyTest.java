package dev.rootlessjkit.child;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.ChildNetworkContext;
import dev.rootlessjkit.net.NetworkDriverKind;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.port.ChildPortDriver;
import dev.rootlessjkit.port.PortDriverKind;
import java.io.File;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * This module's test class path is the child's dependencies as its pom has them, Netty excluded: the child's halves
 * of every registered driver must load and be made here. The registries name the parent halves too (which run
 * Netty); the JVM resolves those only when the parent calls for one, so a registry that pulled one in early fails
 * here with NoClassDefFoundError.
 */
class DriverRegistriesWithoutNettyTest {
    private final Log log = new Log("test", false);

    @Test
    void theChildsClassPathHoldsNoNetty() {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            assertFalse(Path.of(entry).getFileName().toString().contains("netty"), entry);
        }
        assertThrows(ClassNotFoundException.class, () -> Class.forName("io.netty.buffer.ByteBuf"));
        assertThrows(ClassNotFoundException.class, () -> Class.forName("io.netty.channel.epoll.Epoll"));
    }

    @Test
    void everyNetworkDriversChildHalfIsMadeWithoutNetty() throws NetworkDriverException {
        final ChildNetworkContext context = new ChildNetworkContext(null, log, Path.of("/nonexistent"), false, null,
                "tap0", -1);
        for (NetworkDriverKind kind : NetworkDriverKind.values()) {
            if (kind == NetworkDriverKind.VPNKIT) {
                assertEquals("network driver \"vpnkit\" is not available in this build of rootlessjkit yet",
                        assertThrows(NetworkDriverException.class, () -> kind.childHalf(context)).getMessage());
            } else {
                assertNotNull(kind.childHalf(context), kind.cliName);
            }
        }
    }

    @Test
    void thePortDriversChildHalvesAreFoundWithoutNetty() {
        assertTrue(PortDriverKind.childHalfFor(Map.of(), null, log).isEmpty());
        // What the builtin driver's parent half sends (RootlessKit's key); the half is made, not run.
        final Optional<ChildPortDriver> builtin = PortDriverKind.childHalfFor(
                Map.of("builtin.socketpath", "/nonexistent/.bp.sock"), null, log);
        assertTrue(builtin.isPresent());
        builtin.get().close();
        for (PortDriverKind kind : PortDriverKind.values()) {
            assertEquals(kind == PortDriverKind.BUILTIN, kind.hasChildHalf, kind.cliName);
        }
    }
}
