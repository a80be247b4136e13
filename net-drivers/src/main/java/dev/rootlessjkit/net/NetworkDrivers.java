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
import dev.rootlessjkit.net.usernet.UsernetParentDriver;
import java.util.Set;
import java.util.concurrent.Callable;

/** The network drivers of this build, by their --net name. */
public final class NetworkDrivers {
    /** Names this build can run; the CLI knows more (RootlessKit's), which are refused with a clear message. */
    public static final Set<String> AVAILABLE = Set.of("host", "none", Slirp4netnsParentDriver.NAME,
            PastaParentDriver.NAME, UsernetParentDriver.NAME);

    private NetworkDrivers() {
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
                return new UsernetParentDriver(options, System.getenv(), log);
            default:
                throw unavailable(options.driver());
        }
    }

    public static ChildNetworkDriver child(String name, ChildNetworkContext context) throws NetworkDriverException {
        switch (name) {
            case "host":
                return config -> { };
            case "none":
                return config -> inChildNamespace(context, "bring up lo", () -> {
                    bringUpLoopback(context.linux());
                    return null;
                });
            case Slirp4netnsParentDriver.NAME:
                return new InterfaceChildDriver(context, false);
            case PastaParentDriver.NAME:
                return new InterfaceChildDriver(context, true);
            case UsernetParentDriver.NAME:
                // The TAP device exists already (TapHandOver); only address, route and files are left, as for
                // slirp4netns. Nothing of the stack (Netty) is loaded in the child.
                return new InterfaceChildDriver(context, false);
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

    /**
     * Runs {@code action} where the child's network is: in place when the child has its own network namespace,
     * on a thread that enters {@code $STATE/netns} with --detach-netns.
     */
    static void inChildNamespace(ChildNetworkContext context, String what, Callable<Void> action)
            throws NetworkDriverException {
        if (context.detachedNetns() != null) {
            DetachedNetns.inNamespace(context.linux(), context.detachedNetns(), what, action);
            return;
        }
        try {
            action.call();
        } catch (NetworkDriverException e) {
            throw e;
        } catch (Exception e) {
            throw new NetworkDriverException("failed to " + what + ": " + e.getMessage(), e);
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
