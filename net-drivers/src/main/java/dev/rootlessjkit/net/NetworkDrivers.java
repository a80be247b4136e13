package dev.rootlessjkit.net;

import dev.rootlessjkit.net.api.NetworkContext;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.api.ParentNetworkDriver;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.pasta.PastaParentDriver;
import dev.rootlessjkit.net.slirp4netns.Slirp4netnsParentDriver;
import dev.rootlessjkit.net.usernet.UsernetChildDriver;
import dev.rootlessjkit.net.usernet.UsernetParentDriver;
import java.util.Set;

/** The network drivers of this build, by their --net name. */
public final class NetworkDrivers {
    /** Names this build can run; the CLI knows more (RootlessKit's), which are refused with a clear message. */
    public static final Set<String> AVAILABLE = Set.of("host", "none", Slirp4netnsParentDriver.NAME,
            PastaParentDriver.NAME, UsernetParentDriver.NAME);

    private NetworkDrivers() {
    }

    /**
     * Whether the driver's two halves talk over a socket pair the parent makes before the spawn (the handshake pipes
     * carry no fds): usernet's child passes its TAP device over it.
     */
    public static boolean needsDriverSocket(String name) {
        return UsernetParentDriver.NAME.equals(name);
    }

    public static ParentNetworkDriver parent(NetworkOptions options, Linux linux, Log log)
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
            default:
                throw unavailable(options.driver());
        }
    }

    public static ChildNetworkDriver child(String name, ChildNetworkContext context) throws NetworkDriverException {
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
            default:
                throw unavailable(name);
        }
    }

    private static NetworkDriverException unavailable(String name) {
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
