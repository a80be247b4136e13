package dev.rootlessjkit.port;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.ParentNetworkDriver;
import dev.rootlessjkit.net.usernet.UsernetParentDriver;
import dev.rootlessjkit.port.builtin.BuiltinParentDriver;
import dev.rootlessjkit.port.slirp4netns.Slirp4netnsParentPortDriver;
import dev.rootlessjkit.port.usernet.UsernetPortDriver;
import java.nio.file.Path;

/** Creates the parent half of a port driver by its --port-driver name. Parent JVM only (loads Netty). */
public final class ParentPortDrivers {
    private ParentPortDrivers() {
    }

    /**
     * @return the driver, or null for "none" (and "implicit", whose forwarding pasta does by itself)
     * @param network the network driver, not started yet; the usernet port driver takes the stack it starts
     * @param sourceIpTransparent --source-ip-transparent (the builtin driver's; usernet always keeps the source)
     * @throws PortDriverException for a name this build has no parent half for, or usernet without --net=usernet
     */
    public static ParentPortDriver create(String name, Path stateDir, ParentNetworkDriver network,
            boolean sourceIpTransparent, Log log) throws PortDriverException {
        return switch (name) {
            case "none", "implicit" -> null;
            case BuiltinParentDriver.NAME -> new BuiltinParentDriver(stateDir, sourceIpTransparent, log);
            case Slirp4netnsParentPortDriver.NAME -> new Slirp4netnsParentPortDriver(stateDir);
            case UsernetPortDriver.NAME -> {
                if (!(network instanceof UsernetParentDriver usernet)) {
                    throw new PortDriverException("--port-driver=usernet requires --net=usernet");
                }
                yield new UsernetPortDriver(usernet::network, log);
            }
            default -> throw new PortDriverException("port driver " + GoText.quote(name) + " is not supported yet");
        };
    }
}
