package dev.rootlessjkit.port;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.ParentJvmOnly;
import dev.rootlessjkit.net.api.ParentNetworkDriver;
import dev.rootlessjkit.port.builtin.BuiltinChildDriver;
import dev.rootlessjkit.port.builtin.BuiltinParentDriver;
import dev.rootlessjkit.port.slirp4netns.Slirp4netnsParentPortDriver;
import dev.rootlessjkit.port.usernet.UsernetPortDriver;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every port driver, registered once: its --port-driver names and help, the networks it works with, and its halves.
 * The CLI's checks and --help, the early listeners and both halves' factories read this and nothing else, so a new
 * driver is one package and one entry here.
 *
 * <p>Both JVMs load this enum; the {@link ParentJvmOnly} methods name parent halves, which run Netty, and only the
 * parent calls them. Networks are named by their --net names: the port drivers do not compile against the network
 * drivers, and a port driver that needs one reaches it through net-api's hooks.
 */
public enum PortDriverKind {
    /** No port driver: -p is refused. */
    NONE("none", List.of(), "none", null, "", false, false) {
        @Override
        @ParentJvmOnly
        public ParentPortDriver parentHalf(PortDriverOptions options, Path stateDir, ParentNetworkDriver network,
                Log log) {
            return null;
        }
    },
    /** A listener in the parent per port, the connection made inside by the child half and passed back. */
    BUILTIN("builtin", List.of(), "builtin", List.of(), "non-host", true, true) {
        @Override
        public ChildPortDriver childHalf(Map<String, String> opaque, Path detachedNetns, Log log) {
            return BuiltinChildDriver.handles(opaque)
                    ? new BuiltinChildDriver(Sockets.load(), Linux.load(), detachedNetns, log) : null;
        }

        @Override
        @ParentJvmOnly
        public ParentPortDriver parentHalf(PortDriverOptions options, Path stateDir, ParentNetworkDriver network,
                Log log) throws PortDriverException {
            return new BuiltinParentDriver(stateDir, options.sourceIpTransparent(), log);
        }

        @Override
        @ParentJvmOnly
        public List<String> listenedProtos() {
            return Proto.TCP_AND_UDP;
        }
    },
    /** slirp4netns forwards, told through its API socket. */
    SLIRP4NETNS("slirp4netns", List.of(), "slirp4netns", List.of("slirp4netns"), "slirp4netns", true, false) {
        @Override
        @ParentJvmOnly
        public ParentPortDriver parentHalf(PortDriverOptions options, Path stateDir, ParentNetworkDriver network,
                Log log) throws PortDriverException {
            return new Slirp4netnsParentPortDriver(stateDir.resolve(requireHook(network.slirp4netnsApiSocket())));
        }
    },
    /** pasta publishes every port bound inside by itself; -p is checked and ignored, as RootlessKit does. */
    IMPLICIT("implicit", List.of(), "implicit (for pasta)", List.of("pasta"), "pasta", true, false) {
        @Override
        @ParentJvmOnly
        public ParentPortDriver parentHalf(PortDriverOptions options, Path stateDir, ParentNetworkDriver network,
                Log log) {
            return null;
        }
    },
    /** usernet's stack listens on the host and opens each connection inside itself. */
    USERNET("usernet", List.of("gvisor-tap-vsock"), "usernet and gvisor-tap-vsock (for usernet and gvisor-tap-vsock)",
            List.of("usernet"), "usernet or gvisor-tap-vsock", true, false) {
        @Override
        @ParentJvmOnly
        public ParentPortDriver parentHalf(PortDriverOptions options, Path stateDir, ParentNetworkDriver network,
                Log log) throws PortDriverException {
            return new UsernetPortDriver(requireHook(network.portPublisher()), log);
        }

        @Override
        @ParentJvmOnly
        public List<String> listenedProtos() {
            return Proto.TCP_AND_UDP;
        }
    };

    /** The --port-driver value, as {@code GET /v1/info} names the driver too. */
    public final String cliName;
    /** Other --port-driver values that select this driver. */
    public final List<String> aliases;
    /** This driver's part of the --port-driver help's list of values. */
    public final String help;
    /**
     * The --net names (of the driver that runs: an alias's server) this driver works with; empty: any network with
     * a namespace of its own; null: no rule.
     */
    public final List<String> networks;
    /** Completes "port driver requires ... network" in the refusal. */
    public final String networksWording;
    /** Whether it takes -p at all. */
    public final boolean publishes;
    /** Whether it has a half in the child, which then stays for the life of the run instead of exec'ing CMD. */
    public final boolean hasChildHalf;

    PortDriverKind(String cliName, List<String> aliases, String help, List<String> networks, String networksWording,
            boolean publishes, boolean hasChildHalf) {
        this.cliName = cliName;
        this.aliases = List.copyOf(aliases);
        this.help = help;
        this.networks = networks == null ? null : List.copyOf(networks);
        this.networksWording = networksWording;
        this.publishes = publishes;
        this.hasChildHalf = hasChildHalf;
    }

    /**
     * The child half for {@code opaque} (what the parent half sent), not yet running; null when the driver has
     * none or {@code opaque} is not its parent half's.
     *
     * @param detachedNetns the namespace of {@code --detach-netns} ({@code $STATE/netns}), where the child half
     *                      must connect; null when the child is itself in the command's network namespace
     */
    public ChildPortDriver childHalf(Map<String, String> opaque, Path detachedNetns, Log log) {
        return null;
    }

    /**
     * The parent half, in the parent JVM only; null for a driver that has none (its forwarding done elsewhere).
     *
     * @param network the network driver, not started yet; the usernet and slirp4netns port drivers use its hooks
     * @throws PortDriverException when the network driver lacks the hook this driver needs
     */
    @ParentJvmOnly
    public abstract ParentPortDriver parentHalf(PortDriverOptions options, Path stateDir, ParentNetworkDriver network,
            Log log) throws PortDriverException;

    /**
     * What the network driver offers this driver through its hook; refused, naming the network the driver works
     * with, when the running network has no such hook.
     */
    @ParentJvmOnly
    <T> T requireHook(Optional<T> hook) throws PortDriverException {
        if (hook.isEmpty()) {
            throw new PortDriverException("--port-driver=" + cliName + " requires --net=" + networks.get(0));
        }
        return hook.get();
    }

    /** The protocols of -p ports it serves from sockets of the parent's, bound early; empty when none. */
    @ParentJvmOnly
    public List<String> listenedProtos() {
        return List.of();
    }

    /** Where the parent binds -p ports before {@link #parentHalf} can be called. */
    @ParentJvmOnly
    public EarlyListeners earlyListeners(PreboundListeners prebound) {
        return new EarlyListeners(listenedProtos(), prebound);
    }

    /** The child half for what the parent half sent, whichever driver it is; empty when there is none. */
    public static Optional<ChildPortDriver> childHalfFor(Map<String, String> opaque, Path detachedNetns, Log log) {
        for (PortDriverKind kind : values()) {
            final ChildPortDriver half = kind.childHalf(opaque, detachedNetns, log);
            if (half != null) {
                return Optional.of(half);
            }
        }
        return Optional.empty();
    }

    /** The driver of a --port-driver value (a name or an alias), or null for an unknown one. */
    public static PortDriverKind byName(String name) {
        for (PortDriverKind kind : values()) {
            if (kind.cliName.equals(name) || kind.aliases.contains(name)) {
                return kind;
            }
        }
        return null;
    }

    /** The --port-driver help's list: every name, in this order. */
    public static String helpList() {
        final StringBuilder list = new StringBuilder();
        for (PortDriverKind kind : values()) {
            list.append(list.length() == 0 ? "" : ", ").append(kind.help);
        }
        return list.toString();
    }
}
