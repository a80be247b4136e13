package dev.rootlessjkit.net;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.api.ParentJvmOnly;
import dev.rootlessjkit.net.api.ParentNetworkDriver;
import dev.rootlessjkit.net.lxcusernic.LxcUserNicChildDriver;
import dev.rootlessjkit.net.lxcusernic.LxcUserNicOptions;
import dev.rootlessjkit.net.lxcusernic.LxcUserNicParentDriver;
import dev.rootlessjkit.net.pasta.PastaChildDriver;
import dev.rootlessjkit.net.pasta.PastaOptions;
import dev.rootlessjkit.net.pasta.PastaParentDriver;
import dev.rootlessjkit.net.slirp4netns.Slirp4netnsOptions;
import dev.rootlessjkit.net.slirp4netns.Slirp4netnsParentDriver;
import dev.rootlessjkit.net.usernet.UsernetChildDriver;
import dev.rootlessjkit.net.usernet.UsernetOptions;
import dev.rootlessjkit.net.usernet.UsernetParentDriver;
import java.util.List;

/**
 * Every network driver, registered once: its --net name and help, what the command line allows with it, and its
 * two halves. The CLI's checks and --help, the API's info and both halves' factories read this and nothing else, so
 * a new driver is one package and one entry here (and, if it has flags of its own, those in the CLI's flag table).
 *
 * <p>Both JVMs load this enum: the child to make its half, the parent for the rest. A parent half may run Netty
 * (usernet's does), so {@link #parentHalf} is {@link ParentJvmOnly}: the classes it names are resolved only when it
 * runs, which the child never does.
 */
public enum NetworkDriverKind {
    HOST("host", "host", Addressing.HOST, Ipv6.DISCARDED, 0, false, false, PortDriverRule.ANY) {
        @Override
        public ChildNetworkDriver childHalf(ChildNetworkContext context) {
            return new HostChildDriver();
        }

        @Override
        @ParentJvmOnly
        public ParentNetworkDriver parentHalf(NetworkOptions options, Linux linux, Log log) {
            return new NoInterfaceParentDriver();
        }
    },
    NONE("none", "none", Addressing.LOOPBACK, Ipv6.DISCARDED, 0, false, false,
            new PortDriverRule(List.of("none", "builtin"), "either port driver \"none\" or \"builtin\"")) {
        @Override
        public ChildNetworkDriver childHalf(ChildNetworkContext context) {
            return new LoopbackChildDriver(context);
        }

        @Override
        @ParentJvmOnly
        public ParentNetworkDriver parentHalf(NetworkOptions options, Linux linux, Log log) {
            return new NoInterfaceParentDriver();
        }
    },
    PASTA("pasta", "pasta", Addressing.CIDR, Ipv6.SUPPORTED, 0, true, false,
            new PortDriverRule(List.of("none", "implicit"), "port driver \"none\" or \"implicit\"")) {
        @Override
        public ChildNetworkDriver childHalf(ChildNetworkContext context) {
            return new PastaChildDriver(context);
        }

        @Override
        public DriverOptions options(DriverFlags flags) {
            return PastaOptions.of(flags);
        }

        @Override
        @ParentJvmOnly
        public ParentNetworkDriver parentHalf(NetworkOptions options, Linux linux, Log log)
                throws NetworkDriverException {
            return new PastaParentDriver(options, options.driver(PastaOptions.class), linux, log);
        }
    },
    SLIRP4NETNS("slirp4netns", "slirp4netns", Addressing.CIDR, Ipv6.SUPPORTED, 0, true, false, PortDriverRule.ANY) {
        @Override
        public ChildNetworkDriver childHalf(ChildNetworkContext context) {
            return new InterfaceChildDriver(context);
        }

        @Override
        public DriverOptions options(DriverFlags flags) throws InvalidOptionsException {
            return Slirp4netnsOptions.of(flags);
        }

        @Override
        @ParentJvmOnly
        public ParentNetworkDriver parentHalf(NetworkOptions options, Linux linux, Log log)
                throws NetworkDriverException {
            return new Slirp4netnsParentDriver(options, options.driver(Slirp4netnsOptions.class), linux, log);
        }
    },
    /** Our own stack; its child half makes the TAP device and hands it over on the driver socket. */
    USERNET("usernet", "usernet", Addressing.CIDR, Ipv6.SUPPORTED, 0, true, true, PortDriverRule.ANY) {
        @Override
        public ChildNetworkDriver childHalf(ChildNetworkContext context) {
            return new UsernetChildDriver(context);
        }

        @Override
        public DriverOptions options(DriverFlags flags) {
            return UsernetOptions.of(flags);
        }

        @Override
        @ParentJvmOnly
        public ParentNetworkDriver parentHalf(NetworkOptions options, Linux linux, Log log)
                throws NetworkDriverException {
            return new UsernetParentDriver(options, options.driver(UsernetOptions.class), linux, log);
        }
    },
    /**
     * RootlessKit's in-process user-mode network (gVisor's netstack), which dockerd-rootless.sh falls back to when
     * no helper binary is installed. usernet is such a stack and serves the name, with gvisor-tap-vsock's defaults
     * (MTU 1500, no IPv6); unlike RootlessKit's, it honours --disable-host-loopback.
     */
    GVISOR_TAP_VSOCK("gvisor-tap-vsock", "gvisor-tap-vsock (served by usernet, MTU 1500 by default as RootlessKit's)",
            Addressing.CIDR, Ipv6.REFUSED, 1500, true, true, PortDriverRule.ANY) {
        @Override
        public NetworkDriverKind served() {
            return USERNET;
        }

        @Override
        public ChildNetworkDriver childHalf(ChildNetworkContext context) throws NetworkDriverException {
            return USERNET.childHalf(context);
        }

        @Override
        @ParentJvmOnly
        public ParentNetworkDriver parentHalf(NetworkOptions options, Linux linux, Log log)
                throws NetworkDriverException {
            return USERNET.parentHalf(options, linux, log);
        }
    },
    /** Nothing in the namespace reaches the host's loopback: no warning about --disable-host-loopback. */
    LXC_USER_NIC("lxc-user-nic", "lxc-user-nic (a veth on a host bridge made by LXC's setuid lxc-user-nic; address "
            + "by DHCP from the bridge)", Addressing.DRIVER, Ipv6.DISCARDED, 0, false, false, PortDriverRule.ANY) {
        @Override
        public ChildNetworkDriver childHalf(ChildNetworkContext context) {
            return new LxcUserNicChildDriver(context);
        }

        @Override
        public DriverOptions options(DriverFlags flags) {
            return LxcUserNicOptions.of(flags);
        }

        @Override
        @ParentJvmOnly
        public ParentNetworkDriver parentHalf(NetworkOptions options, Linux linux, Log log)
                throws NetworkDriverException {
            return new LxcUserNicParentDriver(options, options.driver(LxcUserNicOptions.class), linux, log);
        }
    },
    /** RootlessKit's name, accepted so that scripts passing it get a clear refusal from the CLI. */
    VPNKIT("vpnkit", "vpnkit (accepted name; not available yet)", Addressing.DRIVER, Ipv6.DISCARDED, 0, true, false,
            PortDriverRule.ANY) {
        @Override
        public ChildNetworkDriver childHalf(ChildNetworkContext context) throws NetworkDriverException {
            throw unavailable();
        }

        @Override
        @ParentJvmOnly
        public ParentNetworkDriver parentHalf(NetworkOptions options, Linux linux, Log log)
                throws NetworkDriverException {
            throw unavailable();
        }
    };

    /** How the namespace gets its address, which decides what --mtu, --cidr and --ifname mean. */
    public enum Addressing {
        /** No namespace of its own: the host's network. --mtu is ignored with a warning, --cidr and --ifname refused. */
        HOST,
        /** A namespace with only lo: as {@link #HOST}. */
        LOOPBACK,
        /** An interface addressed in --cidr's network (default 10.0.2.0/24). */
        CIDR,
        /** An interface whose address the driver's side chooses (a DHCP server): --cidr refused. */
        DRIVER
    }

    /** What --ipv6 does. */
    public enum Ipv6 {
        SUPPORTED,
        /** Accepted with a warning that it is discarded, as RootlessKit does for its drivers without IPv6. */
        DISCARDED,
        /** Refused: the name promises a driver that has none. */
        REFUSED
    }

    /**
     * The port drivers a network allows, by their --port-driver names; empty: any (the port driver may have rules
     * of its own). {@code wording} completes "network "NAME" requires ..." in the refusal.
     */
    public record PortDriverRule(List<String> allowed, String wording) {
        static final PortDriverRule ANY = new PortDriverRule(List.of(), "");

        public PortDriverRule {
            allowed = List.copyOf(allowed);
        }

        public boolean allows(String portDriver) {
            return allowed.isEmpty() || allowed.contains(portDriver);
        }
    }

    /** The --net value. */
    public final String cliName;
    /** This driver's part of the --net help's list of values. */
    public final String help;
    public final Addressing addressing;
    public final Ipv6 ipv6;
    /** The MTU when --mtu is 0, or 0 to leave it to the driver. */
    public final int defaultMtu;
    /** The namespace reaches the host's 127.0.0.1 unless --disable-host-loopback: the CLI recommends it. */
    public final boolean reachesHostLoopback;
    /**
     * The two halves talk over a socket pair the parent makes before the spawn (the handshake pipes carry no fds):
     * usernet's child half passes its TAP device over it.
     */
    public final boolean driverSocket;
    public final PortDriverRule portDrivers;

    NetworkDriverKind(String cliName, String help, Addressing addressing, Ipv6 ipv6, int defaultMtu,
            boolean reachesHostLoopback, boolean driverSocket, PortDriverRule portDrivers) {
        this.cliName = cliName;
        this.help = help;
        this.addressing = addressing;
        this.ipv6 = ipv6;
        this.defaultMtu = defaultMtu;
        this.reachesHostLoopback = reachesHostLoopback;
        this.driverSocket = driverSocket;
        this.portDrivers = portDrivers;
    }

    /** The driver that runs for this name: itself, except for names another driver serves. */
    public NetworkDriverKind served() {
        return this;
    }

    /** Whether the child gets a network namespace of its own. */
    public boolean newNamespace() {
        return addressing != Addressing.HOST;
    }

    /** Whether the child gets an interface besides lo, which --mtu and --ifname configure. */
    public boolean hasInterface() {
        return addressing == Addressing.CIDR || addressing == Addressing.DRIVER;
    }

    /**
     * This driver's own options, made from the command line and checked, in the parent JVM's CLI: the CLI asks every
     * driver that is not served by another (see {@link DriverFlags#runs}) and keeps the one that runs. A driver
     * without options of its own keeps this default.
     */
    public DriverOptions options(DriverFlags flags) throws InvalidOptionsException {
        return DriverOptions.NONE;
    }

    /** The child's half, in the child JVM: configures the namespace's side. */
    public abstract ChildNetworkDriver childHalf(ChildNetworkContext context) throws NetworkDriverException;

    /**
     * The parent's half, in the parent JVM only: whatever runs outside the namespace. Checks what it can before
     * anything starts (its program installed, say). {@code options} holds this driver's own, made by
     * {@link #options(DriverFlags)}.
     */
    @ParentJvmOnly
    public abstract ParentNetworkDriver parentHalf(NetworkOptions options, Linux linux, Log log)
            throws NetworkDriverException;

    /** The driver of a --net value, or null for an unknown one. */
    public static NetworkDriverKind byName(String name) {
        for (NetworkDriverKind kind : values()) {
            if (kind.cliName.equals(name)) {
                return kind;
            }
        }
        return null;
    }

    /** The --net help's list: every name, in this order. */
    public static String helpList() {
        final StringBuilder list = new StringBuilder();
        for (NetworkDriverKind kind : values()) {
            list.append(list.length() == 0 ? "" : ", ").append(kind.help);
        }
        return list.toString();
    }

    /** The drivers (not the names they serve) addressed so, for help text: "pasta, slirp4netns and usernet". */
    public static String namesOf(Addressing addressing) {
        final StringBuilder names = new StringBuilder();
        String last = null;
        for (NetworkDriverKind kind : values()) {
            if (kind.addressing == addressing && kind.served() == kind) {
                if (last != null) {
                    names.append(names.length() == 0 ? "" : ", ").append(last);
                }
                last = kind.cliName;
            }
        }
        return last == null ? "" : names.length() == 0 ? last : names + " and " + last;
    }

    NetworkDriverException unavailable() {
        return new NetworkDriverException("network driver \"" + cliName
                + "\" is not available in this build of rootlessjkit yet");
    }
}
