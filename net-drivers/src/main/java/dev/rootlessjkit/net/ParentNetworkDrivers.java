package dev.rootlessjkit.net;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.api.NetworkContext;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.api.ParentNetworkDriver;
import dev.rootlessjkit.net.lxcusernic.LxcUserNicParentDriver;
import dev.rootlessjkit.net.pasta.PastaParentDriver;
import dev.rootlessjkit.net.slirp4netns.Slirp4netnsParentDriver;
import dev.rootlessjkit.net.usernet.UsernetParentDriver;

/**
 * The parent halves of the network drivers, by their --net name. Parent JVM only: usernet's half runs Netty. The
 * child halves are {@link ChildNetworkDrivers}', so the child never links a class of the parent halves.
 */
public final class ParentNetworkDrivers {
    private ParentNetworkDrivers() {
    }

    /**
     * Whether the driver's two halves talk over a socket pair the parent makes before the spawn (the handshake pipes
     * carry no fds): usernet's child passes its TAP device over it.
     */
    public static boolean needsDriverSocket(String name) {
        return UsernetParentDriver.NAME.equals(name);
    }

    public static ParentNetworkDriver create(NetworkOptions options, Linux linux, Log log)
            throws NetworkDriverException {
        switch (options.driver()) {
            case "host":
            case "none":
                return new NoInterfaceDriver();
            case Slirp4netnsParentDriver.NAME:
                return new Slirp4netnsParentDriver(options, linux, log);
            case PastaParentDriver.NAME:
                return new PastaParentDriver(options, linux, log);
            case UsernetParentDriver.NAME:
                return new UsernetParentDriver(options, System.getenv(), linux, log);
            case LxcUserNicParentDriver.NAME:
                return new LxcUserNicParentDriver(options, linux, log);
            default:
                throw ChildNetworkDrivers.unavailable(options.driver());
        }
    }

    /** host (no namespace) and none (loopback only): nothing runs outside the child. */
    private static final class NoInterfaceDriver implements ParentNetworkDriver {
        @Override
        public NetworkConfig start(NetworkContext context) {
            return NetworkConfig.none();
        }

        @Override
        public void close() {
        }
    }
}
