package dev.rootlessjkit.port;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.port.builtin.BuiltinChildDriver;
import dev.rootlessjkit.port.builtin.BuiltinParentDriver;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Picks the child half from the opaque map the parent half sent. Child JVM side: loads no Netty class, so the
 * child stays small.
 */
public final class ChildPortDrivers {
    private ChildPortDrivers() {
    }

    /**
     * Whether the port driver named {@code driverName} (its --port-driver name) has a child half, known before
     * the child starts: the child JVM's flags depend on whether it stays.
     */
    public static boolean hasChildHalf(String driverName) {
        return BuiltinParentDriver.NAME.equals(driverName);
    }

    /**
     * The child half for {@code opaque}, not yet running; empty when the driver has none.
     *
     * @param detachedNetns the namespace of {@code --detach-netns} ({@code $STATE/netns}), where the child half
     *                      must connect; null when the child is itself in the command's network namespace
     */
    public static Optional<ChildPortDriver> forOpaque(Map<String, String> opaque, Path detachedNetns, Log log) {
        if (BuiltinChildDriver.handles(opaque)) {
            return Optional.of(new BuiltinChildDriver(Sockets.load(), Linux.load(), detachedNetns, log));
        }
        return Optional.empty();
    }
}
