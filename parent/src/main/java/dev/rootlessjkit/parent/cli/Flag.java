package dev.rootlessjkit.parent.cli;

import dev.rootlessjkit.net.NetworkDriverKind;
import dev.rootlessjkit.port.PortDriverKind;

/**
 * Every flag rootlessjkit accepts: RootlessKit's names and defaults, plus our own --single-id-mapping. The one table
 * both the parser and --help are built from, so the two cannot drift apart. Help lists flags in this order within
 * each category.
 */
enum Flag {
    DEBUG(Category.MISC, Kind.BOOL, "debug", null, "false",
            "debug mode: print what each step does on stderr"),
    PRINT_SEMVER(Category.MISC, Kind.STRING, "print-semver", null, "",
            "print one component of the version as a decimal integer and exit [major, minor, patch]"),
    HELP(Category.MISC, Kind.BOOL, "help", "h", "false", "show this help and exit"),
    VERSION(Category.MISC, Kind.BOOL, "version", "v", "false", "print the version and exit"),

    STATE_DIR(Category.STATE, Kind.STRING, "state-dir", null, "",
            "state directory (lock, child_pid, api.sock, ...); removed on exit "
                    + "(default: a new temporary directory)"),

    NET(Category.NETWORK, Kind.STRING, "net", null, "host",
            "network driver [" + NetworkDriverKind.helpList() + "]"),
    MTU(Category.NETWORK, Kind.STRING, "mtu", null, "0",
            "MTU for non-host networks; 0 means the driver's default (65520; 1500 for gvisor-tap-vsock and "
                    + "lxc-user-nic)"),
    CIDR(Category.NETWORK, Kind.STRING, "cidr", null, "",
            "IPv4 network for " + NetworkDriverKind.namesOf(NetworkDriverKind.Addressing.CIDR)
                    + " (default: 10.0.2.0/24)"),
    IFNAME(Category.NETWORK, Kind.STRING, "ifname", null, "",
            "network interface name in the namespace (default: tap0; eth0 for lxc-user-nic)"),
    DISABLE_HOST_LOOPBACK(Category.NETWORK, Kind.BOOL, "disable-host-loopback", null, "false",
            "prohibit connecting to 127.0.0.1:* on the host namespace"),
    IPV6(Category.NETWORK, Kind.BOOL, "ipv6", null, "false",
            "enable IPv6 routing. Unrelated to port forwarding. Only supported for pasta, slirp4netns and usernet "
                    + "(experimental)"),
    DETACH_NETNS(Category.NETWORK, Kind.BOOL, "detach-netns", null, "false",
            "create the network namespace but run the command in the host's; the namespace is bind-mounted "
                    + "at $ROOTLESSKIT_STATE_DIR/netns"),

    PASTA_BINARY(Category.NETWORK_PASTA, Kind.STRING, "pasta-binary", null, "pasta",
            "path of the pasta binary for --net=pasta"),

    SLIRP4NETNS_BINARY(Category.NETWORK_SLIRP4NETNS, Kind.STRING, "slirp4netns-binary", null, "slirp4netns",
            "path of the slirp4netns binary for --net=slirp4netns"),
    SLIRP4NETNS_SANDBOX(Category.NETWORK_SLIRP4NETNS, Kind.STRING, "slirp4netns-sandbox", null, "false",
            "enable the slirp4netns sandbox (experimental) [auto, true, false]"),
    SLIRP4NETNS_SECCOMP(Category.NETWORK_SLIRP4NETNS, Kind.STRING, "slirp4netns-seccomp", null, "false",
            "enable slirp4netns seccomp (experimental) [auto, true, false]"),

    VPNKIT_BINARY(Category.NETWORK_VPNKIT, Kind.STRING, "vpnkit-binary", null, "vpnkit",
            "path of VPNKit binary for --net=vpnkit"),

    LXC_USER_NIC_BINARY(Category.NETWORK_LXC_USER_NIC, Kind.STRING, "lxc-user-nic-binary", null,
            LxcUserNic.defaultBinary(), "path of lxc-user-nic binary for --net=lxc-user-nic"),
    LXC_USER_NIC_BRIDGE(Category.NETWORK_LXC_USER_NIC, Kind.STRING, "lxc-user-nic-bridge", null, "lxcbr0",
            "lxc-user-nic bridge name"),

    COPY_UP(Category.MOUNT, Kind.LIST, "copy-up", null, "",
            "make a directory writable by mounting a tmpfs on it that links back to the original entries, "
                    + "e.g. \"--copy-up=/etc\" (typically required for non-host networks); "
                    + "repeatable or comma-separated"),
    COPY_UP_MODE(Category.MOUNT, Kind.STRING, "copy-up-mode", null, "tmpfs+symlink", "copy-up mode [tmpfs+symlink]"),
    PROPAGATION(Category.MOUNT, Kind.STRING, "propagation", null, "rprivate",
            "mount propagation of / in the namespace [private, rprivate, shared, rshared, slave, rslave]"),

    PORT_DRIVER(Category.PORT, Kind.STRING, "port-driver", null, "none",
            "port driver for non-host networks [" + PortDriverKind.helpList() + "]"),
    PUBLISH(Category.PORT, Kind.LIST, "publish", "p", "",
            "publish a port of the namespace on the host, e.g. \"127.0.0.1:8080:80/tcp\"; repeatable or "
                    + "comma-separated; with --port-driver=implicit, where pasta publishes every TCP port bound "
                    + "inside, only its UDP ports are used (passed to pasta, on the same number)"),
    SOURCE_IP_TRANSPARENT(Category.PORT, Kind.BOOL, "source-ip-transparent", null, "true",
            "preserve real client source IP using IP_TRANSPARENT (builtin port driver, TCP only; "
                    + "--port-driver=usernet always does)"),

    PIDNS(Category.PROCESS, Kind.BOOL, "pidns", null, "false", "create a PID namespace"),
    CGROUPNS(Category.PROCESS, Kind.BOOL, "cgroupns", null, "false", "create a cgroup namespace"),
    UTSNS(Category.PROCESS, Kind.BOOL, "utsns", null, "false", "create a UTS namespace"),
    IPCNS(Category.PROCESS, Kind.BOOL, "ipcns", null, "false", "create an IPC namespace"),
    REAPER(Category.PROCESS, Kind.STRING, "reaper", null, "auto",
            "reap orphaned processes; requires --pidns; auto follows --pidns [auto, true, false]"),
    EVACUATE_CGROUP2(Category.PROCESS, Kind.STRING, "evacuate-cgroup2", null, "",
            "move the processes of our cgroup into this subgroup (a name without \"/\"). "
                    + "Requires --pidns and --cgroupns"),

    SUBID_SOURCE(Category.SUBID, Kind.STRING, "subid-source", null, "auto",
            "the source of the subids: \"dynamic\" runs getsubids, \"static\" reads /etc/subuid and /etc/subgid, "
                    + "\"auto\" tries dynamic, then static [auto, dynamic, static]"),
    SINGLE_ID_MAPPING(Category.SUBID, Kind.BOOL, "single-id-mapping", null, "false",
            "map only your own uid and gid (as 0) and no subids: for machines without /etc/subuid ranges "
                    + "or newuidmap; most daemons need the full range");

    /** How a flag takes its value. */
    enum Kind {
        /** Bare {@code --flag} means true; {@code --flag=false} as with Go's flag package. */
        BOOL,
        /** One value, {@code --flag value} or {@code --flag=value}; when repeated the last one wins. */
        STRING,
        /** Repeatable; each value may hold several items separated by commas, as urfave/cli splits them. */
        LIST
    }

    final Category category;
    final Kind kind;
    final String name;
    /** One-letter alias, or null. */
    final String shortName;
    /** The value when the flag is absent, as the user would write it. */
    final String defaultValue;
    final String usage;

    Flag(Category category, Kind kind, String name, String shortName, String defaultValue, String usage) {
        this.category = category;
        this.kind = kind;
        this.name = name;
        this.shortName = shortName;
        this.defaultValue = defaultValue;
        this.usage = usage;
    }

    /** The spelling used in messages and help. */
    String longName() {
        return "--" + name;
    }

    /** The flag of a long name (without the dashes), as the drivers' registries name the flags they read. */
    static Flag byName(String name) {
        for (Flag flag : values()) {
            if (flag.name.equals(name)) {
                return flag;
            }
        }
        throw new IllegalArgumentException("no flag --" + name);
    }
}
