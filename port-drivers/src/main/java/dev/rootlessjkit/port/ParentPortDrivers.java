package dev.rootlessjkit.port;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.port.builtin.BuiltinParentDriver;
import dev.rootlessjkit.port.slirp4netns.Slirp4netnsParentPortDriver;
import java.nio.file.Path;

/** Creates the parent half of a port driver by its --port-driver name. Parent JVM only (loads Netty). */
public final class ParentPortDrivers {
    private ParentPortDrivers() {
    }

    /**
     * @return the driver, or null for "none" (and "implicit", whose forwarding pasta does by itself)
     * @throws PortDriverException for a name this build has no parent half for
     */
    public static ParentPortDriver create(String name, Path stateDir, Log log) throws PortDriverException {
        return switch (name) {
            case "none", "implicit" -> null;
            case BuiltinParentDriver.NAME -> new BuiltinParentDriver(stateDir, log);
            case Slirp4netnsParentPortDriver.NAME -> new Slirp4netnsParentPortDriver(stateDir);
            default -> throw new PortDriverException("port driver " + GoText.quote(name) + " is not supported yet");
        };
    }
}
