package dev.rootlessjkit.net;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.lxcusernic.LxcUserNicChildDriver;
import dev.rootlessjkit.net.lxcusernic.LxcUserNicParentDriver;
import dev.rootlessjkit.net.pasta.PastaParentDriver;
import dev.rootlessjkit.net.slirp4netns.Slirp4netnsParentDriver;
import dev.rootlessjkit.net.usernet.UsernetChildDriver;
import dev.rootlessjkit.net.usernet.UsernetParentDriver;

/**
 * The child halves of the network drivers, by their --net name. Child JVM side: nothing reachable from here links a
 * parent half or Netty (ArchitectureTest checks it).
 */
public final class ChildNetworkDrivers {
    private ChildNetworkDrivers() {
    }

    public static ChildNetworkDriver create(String name, ChildNetworkContext context) throws NetworkDriverException {
        // The names are the parent halves' compile-time constants: javac copies them here, so no parent-half class
        // is linked.
        switch (name) {
            case "host":
                return config -> { };
            case "none":
                return config -> context.inNetworkNamespace("bring up lo", () -> {
                    bringUpLoopback(context.linux());
                    return null;
                });
            case Slirp4netnsParentDriver.NAME:
                return new InterfaceChildDriver(context, false);
            case PastaParentDriver.NAME:
                return new InterfaceChildDriver(context, true);
            case UsernetParentDriver.NAME:
                return new UsernetChildDriver(context, new InterfaceChildDriver(context, false));
            case LxcUserNicParentDriver.NAME:
                // The veth is there (lxc-user-nic); address, route and DNS come by DHCP from the bridge.
                return new LxcUserNicChildDriver(context, new InterfaceChildDriver(context, false));
            default:
                throw unavailable(name);
        }
    }

    static NetworkDriverException unavailable(String name) {
        return new NetworkDriverException("network driver \"" + name
                + "\" is not available in this build of rootlessjkit yet");
    }

    /** A new network namespace starts with lo down; servers the port drivers reach listen there. */
    static void bringUpLoopback(Linux linux) throws NetworkDriverException {
        try {
            linux.bringUp("lo");
        } catch (ErrnoException e) {
            throw new NetworkDriverException("failed to bring up the loopback interface: " + e.getMessage(), e);
        }
    }
}
