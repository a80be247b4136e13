package dev.rootlessjkit.port;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.ParentNetworkDriver;
import dev.rootlessjkit.port.builtin.BuiltinParentDriver;
import dev.rootlessjkit.port.slirp4netns.Slirp4netnsParentPortDriver;
import dev.rootlessjkit.port.usernet.UsernetPortDriver;
import java.nio.file.Path;
import java.util.List;

/** Creates the parent half of a port driver by its --port-driver name. Parent JVM only (loads Netty). */
public final class ParentPortDrivers {
    private ParentPortDrivers() {
    }

    /**
     * @return the driver, or null for "none" (and "implicit", whose forwarding pasta does by itself)
     * @param network the network driver, not started yet; the usernet and slirp4netns port drivers use its hooks
     * @param sourceIpTransparent --source-ip-transparent (the builtin driver's; usernet always keeps the source)
     * @throws PortDriverException for a name this build has no parent half for, or usernet without --net=usernet
     */
    public static ParentPortDriver create(String name, Path stateDir, ParentNetworkDriver network,
            boolean sourceIpTransparent, Log log) throws PortDriverException {
        return switch (name) {
            case "none", "implicit" -> null;
            case BuiltinParentDriver.NAME -> new BuiltinParentDriver(stateDir, sourceIpTransparent, log);
            case Slirp4netnsParentPortDriver.NAME -> new Slirp4netnsParentPortDriver(stateDir.resolve(
                    network.slirp4netnsApiSocket().orElseThrow(() -> new PortDriverException(
                            "--port-driver=slirp4netns requires --net=slirp4netns"))));
            case UsernetPortDriver.NAME -> {
                yield new UsernetPortDriver(network.portPublisher().orElseThrow(
                        () -> new PortDriverException("--port-driver=usernet requires --net=usernet")), log);
            }
            default -> throw new PortDriverException("port driver " + GoText.quote(name) + " is not supported yet");
        };
    }

    /**
     * Where the parent binds -p ports for the named driver before {@link #create} can be called.
     *
     * @param prebound what the parent bound with the JDK before anything else, taken over first
     */
    public static EarlyListeners earlyListeners(String name, PreboundListeners prebound) {
        return new EarlyListeners(listenedProtos(name), prebound);
    }

    /** The protocols of -p ports the named driver serves from sockets of the parent's; empty when none. */
    static List<String> listenedProtos(String name) {
        return switch (name) {
            case BuiltinParentDriver.NAME -> BuiltinParentDriver.PROTOS;
            case UsernetPortDriver.NAME -> UsernetPortDriver.PROTOS;
            default -> List.of();
        };
    }
}
