package dev.rootlessjkit.port;

import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.port.builtin.BuiltinChildDriver;
import java.util.Map;
import java.util.Optional;

/**
 * Picks the child half from the opaque map the parent half sent. Child JVM side: loads no Netty class, so the
 * child stays small.
 */
public final class ChildPortDrivers {
    private ChildPortDrivers() {
    }

    /** Whether the child must stay resident to serve a port driver (instead of exec-ing CMD in place). */
    public static boolean needsChildHalf(Map<String, String> opaque) {
        return BuiltinChildDriver.handles(opaque);
    }

    /** The child half for {@code opaque}, not yet running; empty when the driver has none. */
    public static Optional<ChildPortDriver> forOpaque(Map<String, String> opaque, Log log) {
        if (BuiltinChildDriver.handles(opaque)) {
            return Optional.of(new BuiltinChildDriver(Sockets.load(), log));
        }
        return Optional.empty();
    }
}
