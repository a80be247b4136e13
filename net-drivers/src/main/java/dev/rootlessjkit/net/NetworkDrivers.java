package dev.rootlessjkit.net;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.messages.NetworkConfig;
import java.util.Set;

/** The network drivers of this build, by their --net name. */
public final class NetworkDrivers {
    /** Names this build can run; the CLI knows more (RootlessKit's), which are refused with a clear message. */
    public static final Set<String> AVAILABLE = Set.of("host", "none");

    private NetworkDrivers() {
    }

    public static ParentNetworkDriver parent(NetworkOptions options) throws NetworkDriverException {
        switch (options.driver()) {
            case "host":
            case "none":
                return new NoInterfaceDriver();
            default:
                throw unavailable(options.driver());
        }
    }

    public static ChildNetworkDriver child(String name, Linux linux) throws NetworkDriverException {
        switch (name) {
            case "host":
                return config -> { };
            case "none":
                return config -> bringUpLoopback(linux);
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
