package dev.rootlessjkit.parent.cli;

import dev.rootlessjkit.linux.ProgramPath;
import dev.rootlessjkit.net.DriverFlags;
import dev.rootlessjkit.net.DriverOptions;
import dev.rootlessjkit.net.InvalidOptionsException;
import dev.rootlessjkit.net.NetworkDriverKind;
import dev.rootlessjkit.net.NetworkOptions;
import dev.rootlessjkit.parent.ParentConfig;
import dev.rootlessjkit.parent.ParentConfig.Propagation;
import dev.rootlessjkit.parent.ParentConfig.SubidSource;
import dev.rootlessjkit.port.InvalidPortSpecException;
import dev.rootlessjkit.port.PortDriverKind;
import dev.rootlessjkit.port.PortDriverOptions;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortSpecParser;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns parsed flags into a {@link ParentConfig}, applying RootlessKit's value and cross-flag rules with its
 * messages. Where RootlessKit checks late (the reaper and copy-up rules run in its child) or not at all (an unknown
 * --propagation is ignored, --slirp4netns-* values only matter with --net=slirp4netns), every rule is checked here,
 * before anything starts. The drivers' rules come from their registries ({@link NetworkDriverKind},
 * {@link PortDriverKind}), and each network driver makes and checks its own options record from the flags
 * ({@link NetworkDriverKind#options}); the records made here go to the drivers as they are.
 */
final class ConfigBuilder {
    private static final int MAX_MTU = 65521;
    /** IFNAMSIZ minus the terminating NUL. */
    private static final int MAX_IFNAME_LENGTH = 15;
    private static final String COPY_UP_MODE = "tmpfs+symlink";

    private ConfigBuilder() {
    }

    static CliOutcome.Run build(ParsedFlags flags) throws UsageException {
        List<String> command = flags.command();
        if (command.isEmpty()) {
            throw new UsageException("no command specified");
        }
        List<String> warnings = new ArrayList<>();

        boolean pidns = flags.bool(Flag.PIDNS);
        boolean cgroupns = flags.bool(Flag.CGROUPNS);
        String evacuateCgroup2 = evacuateCgroup2(flags.value(Flag.EVACUATE_CGROUP2), cgroupns, pidns);
        Path stateDir = stateDir(flags.value(Flag.STATE_DIR));

        String cidr = cidr(flags.value(Flag.CIDR));
        NetworkDriverKind net = networkDriver(flags.value(Flag.NET), cidr, flags);
        PortDriverKind portDriver = portDriver(flags.value(Flag.PORT_DRIVER));
        List<String> publish = flags.list(Flag.PUBLISH);
        NetworkOptions network = network(net, cidr, portDriver, flags, publish, warnings);

        boolean reaper = reaper(flags.value(Flag.REAPER), pidns);
        Propagation propagation = propagation(flags.value(Flag.PROPAGATION));
        List<String> copyUpDirs = copyUpDirs(flags.list(Flag.COPY_UP));
        String copyUpMode = flags.value(Flag.COPY_UP_MODE);
        if (!copyUpMode.equals(COPY_UP_MODE)) {
            throw new UsageException("unknown copy-up mode: " + copyUpMode);
        }
        if (!copyUpDirs.isEmpty() && (propagation == Propagation.SHARED || propagation == Propagation.RSHARED)) {
            // The tmpfs mounts would propagate back to the host's mount namespace.
            throw new UsageException("propagation " + propagation.cliName + " does not support copy-up driver "
                    + copyUpMode);
        }
        SubidSource subidSource = subidSource(flags.value(Flag.SUBID_SOURCE));

        ParentConfig config = new ParentConfig(
                stateDir,
                network,
                copyUpDirs,
                propagation,
                new PortDriverOptions(portDriver, flags.bool(Flag.SOURCE_IP_TRANSPARENT)),
                publish,
                pidns,
                cgroupns,
                flags.bool(Flag.UTSNS),
                flags.bool(Flag.IPCNS),
                reaper,
                evacuateCgroup2,
                subidSource,
                flags.bool(Flag.SINGLE_ID_MAPPING),
                flags.bool(Flag.DEBUG),
                command);
        return new CliOutcome.Run(config, warnings);
    }

    /** The --net value's driver, refused at once when it cannot run. */
    private static NetworkDriverKind networkDriver(String name, String cidr, ParsedFlags flags)
            throws UsageException {
        NetworkDriverKind net = NetworkDriverKind.byName(name);
        if (net == null) {
            throw new UsageException("unknown network mode: " + name);
        }
        if (net.addressing == NetworkDriverKind.Addressing.DRIVER && cidr != null) {
            throw new UsageException("custom cidr is not supported for --net=" + net.cliName);
        }
        refuseUnavailableNetwork(net, flags);
        return net;
    }

    /**
     * The network flags, checked against the network driver's and the port driver's rules.
     *
     * @param net  the --net value's driver
     * @param cidr --cidr, checked, or null
     */
    private static NetworkOptions network(NetworkDriverKind net, String cidr, PortDriverKind portDriver,
            ParsedFlags flags, List<String> publish, List<String> warnings) throws UsageException {
        int mtu = mtu(flags.value(Flag.MTU));
        if (mtu == 0) {
            mtu = net.defaultMtu;
        }
        String ifname = ifname(flags.value(Flag.IFNAME));
        boolean ipv6 = flags.bool(Flag.IPV6);
        boolean disableHostLoopback = flags.bool(Flag.DISABLE_HOST_LOOPBACK);
        boolean detachNetns = flags.bool(Flag.DETACH_NETNS);

        if (ipv6 && net.ipv6 == NetworkDriverKind.Ipv6.REFUSED) {
            throw new UsageException("--ipv6 is not supported for " + net.cliName);
        }
        if (ipv6) {
            warnings.add("ipv6 is experimental");
            if (net.ipv6 == NetworkDriverKind.Ipv6.DISCARDED) {
                warnings.add("--ipv6 is discarded for --net=" + net.cliName);
            }
        }
        if (!disableHostLoopback && net.reachesHostLoopback) {
            warnings.add("specifying --disable-host-loopback is highly recommended to prohibit connecting to "
                    + "127.0.0.1:* on the host namespace (requires pasta, slirp4netns, or usernet)");
        }
        if (!net.hasInterface()) {
            if (mtu != 0) {
                warnings.add("unsupported mtu for --net=" + net.cliName + ": " + mtu);
            }
            if (cidr != null) {
                throw new UsageException("custom cidr is not supported for --net=" + net.cliName);
            }
            if (ifname != null) {
                throw new UsageException("ifname cannot be specified for --net=" + net.cliName);
            }
        }
        if (!net.portDrivers.allows(portDriver.cliName)) {
            throw new UsageException("network \"" + net.cliName + "\" requires " + net.portDrivers.wording());
        }
        checkPortDriver(portDriver, net.served(), publish);

        return new NetworkOptions(net.served(), mtu, cidr, ifname, disableHostLoopback, ipv6, detachNetns,
                driverOptions(net.served(), portDriver, flags, publish, warnings));
    }

    /**
     * The running driver's own options. Every driver makes its own from the flags, so that a bad value of any
     * driver's flag is refused whichever driver runs, as it always was here; only the running one's are kept.
     */
    private static DriverOptions driverOptions(NetworkDriverKind running, PortDriverKind portDriver,
            ParsedFlags flags, List<String> publish, List<String> warnings) throws UsageException {
        DriverOptions kept = DriverOptions.NONE;
        for (NetworkDriverKind kind : NetworkDriverKind.values()) {
            if (kind.served() != kind) {
                continue;
            }
            try {
                final DriverOptions options = kind.options(new CommandLine(flags, kind == running,
                        portDriver.cliName, publish, warnings));
                if (kind == running) {
                    kept = options;
                }
            } catch (InvalidOptionsException e) {
                throw new UsageException(e.getMessage());
            }
        }
        return kept;
    }

    /** The command line as one network driver reads it. */
    private record CommandLine(ParsedFlags flags, boolean runs, String portDriver, List<String> publish,
            List<String> warnings) implements DriverFlags {
        @Override
        public String value(String flag) {
            return flags.value(Flag.byName(flag));
        }

        @Override
        public boolean bool(String flag) throws InvalidOptionsException {
            try {
                return flags.bool(Flag.byName(flag));
            } catch (UsageException e) {
                throw new InvalidOptionsException(e.getMessage());
            }
        }

        /** A spec that does not parse is left out: the check of every -p spec reports it, for any driver. */
        @Override
        public List<PublishedPort> published() {
            final List<PublishedPort> published = new ArrayList<>();
            for (String raw : publish) {
                try {
                    final PortSpec spec = PortSpecParser.parse(raw);
                    published.add(new PublishedPort(raw, spec.proto(), spec.parentIP(), spec.parentPort(),
                            spec.childPort()));
                } catch (InvalidPortSpecException e) {
                    // Reported by the port driver's check of -p.
                }
            }
            return published;
        }

        @Override
        public String env(String name) {
            return System.getenv(name);
        }

        @Override
        public void warn(String warning) {
            warnings.add(warning);
        }
    }

    private static String evacuateCgroup2(String group, boolean cgroupns, boolean pidns) throws UsageException {
        if (group.isEmpty()) {
            return null;
        }
        if (group.contains("/")) {
            throw new UsageException("unexpected evacuation group name \"" + group + "\": must not contain \"/\"");
        }
        if (!cgroupns) {
            throw new UsageException("evacuate-cgroup2 requires --cgroupns");
        }
        if (!pidns) {
            throw new UsageException("evacuate-cgroup2 requires --pidns");
        }
        return group;
    }

    private static Path stateDir(String dir) throws UsageException {
        if (dir.isEmpty()) {
            return null;
        }
        return path(Flag.STATE_DIR, dir).toAbsolutePath().normalize();
    }

    private static Path path(Flag flag, String value) throws UsageException {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new UsageException("invalid path for " + flag.longName() + ": " + e.getReason());
        }
    }

    /**
     * Networks RootlessKit has and we do not (yet), and lxc-user-nic without its helper: a clear line naming what
     * is missing, with the driver's own flag, instead of a failure later, for scripts that pass them.
     */
    private static void refuseUnavailableNetwork(NetworkDriverKind net, ParsedFlags flags) throws UsageException {
        final String alternatives = "--net=usernet, --net=slirp4netns or --net=pasta";
        switch (net) {
            case VPNKIT -> {
                final String binary = flags.value(Flag.VPNKIT_BINARY);
                if (ProgramPath.find(binary).isEmpty()) {
                    throw new UsageException("--net=vpnkit: VPNKit binary \"" + binary + "\" not found in $PATH: "
                            + "install it, point --vpnkit-binary at it, or use " + alternatives);
                }
                throw new UsageException("--net=vpnkit is not supported by rootlessjkit yet: use " + alternatives);
            }
            case LXC_USER_NIC -> {
                final String binary = flags.value(Flag.LXC_USER_NIC_BINARY);
                if (binary.isEmpty() || ProgramPath.find(binary).isEmpty()) {
                    throw new UsageException("--net=lxc-user-nic: lxc-user-nic not found"
                            + (binary.isEmpty() ? " (looked for " + String.join(", ", LxcUserNic.candidates()) + ")"
                                    : " at \"" + binary + "\"")
                            + ": install lxc (Debian: apt-get install lxc), point --lxc-user-nic-binary at it, "
                            + "or use " + alternatives);
                }
            }
            default -> {
                // The others need nothing the command line can check.
            }
        }
    }

    private static PortDriverKind portDriver(String name) throws UsageException {
        PortDriverKind driver = PortDriverKind.byName(name);
        if (driver == null) {
            throw new UsageException("unknown port driver: " + name);
        }
        return driver;
    }

    private static Propagation propagation(String name) throws UsageException {
        for (Propagation propagation : Propagation.values()) {
            if (propagation.cliName.equals(name)) {
                return propagation;
            }
        }
        // RootlessKit silently skips the mount call for an unknown value, leaving a typo unnoticed.
        throw new UsageException("unknown propagation: " + name);
    }

    private static SubidSource subidSource(String name) throws UsageException {
        if (name.isEmpty()) {
            return SubidSource.AUTO;
        }
        for (SubidSource source : SubidSource.values()) {
            if (source.cliName.equals(name)) {
                return source;
            }
        }
        throw new UsageException("unknown subid source \"" + name + "\"");
    }

    private static int mtu(String value) throws UsageException {
        int mtu;
        try {
            mtu = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new UsageException("invalid value \"" + value + "\" for " + Flag.MTU.longName()
                    + ": not an integer");
        }
        if (mtu < 0 || mtu > MAX_MTU) {
            // 0 stands for the driver's default.
            throw new UsageException("mtu must be <= " + MAX_MTU + ", got " + mtu);
        }
        return mtu;
    }

    /** An IPv4 network address with its prefix length, or null for the driver's default. */
    private static String cidr(String value) throws UsageException {
        if (value.isEmpty()) {
            return null;
        }
        int slash = value.indexOf('/');
        long address = slash < 0 ? -1 : ipv4(value.substring(0, slash));
        int prefix = slash < 0 ? -1 : prefixLength(value.substring(slash + 1));
        if (address < 0 || prefix < 0) {
            throw new UsageException("invalid CIDR address: " + value + " (expected an IPv4 network like 10.0.2.0/24)");
        }
        long hostBits = prefix == 32 ? 0 : (1L << (32 - prefix)) - 1;
        if ((address & hostBits) != 0) {
            throw new UsageException("cidr must be like 10.0.2.0/24, not like 10.0.2.100/24");
        }
        return value;
    }

    /** Dotted-quad IPv4 (no leading zeros, as Go's parser), or -1. Never resolves names. */
    private static long ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return -1;
        }
        long address = 0;
        for (String part : parts) {
            int octet = decimal(part, 3);
            if (octet < 0 || octet > 255) {
                return -1;
            }
            address = address << 8 | octet;
        }
        return address;
    }

    private static int prefixLength(String text) {
        int prefix = decimal(text, 2);
        return prefix > 32 ? -1 : prefix;
    }

    /** A non-negative decimal of at most maxDigits digits without leading zeros, or -1. */
    private static int decimal(String text, int maxDigits) {
        if (text.isEmpty() || text.length() > maxDigits || (text.length() > 1 && text.charAt(0) == '0')) {
            return -1;
        }
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    private static String ifname(String name) throws UsageException {
        if (name.isEmpty()) {
            return null;
        }
        if (name.contains("/")) {
            throw new UsageException("ifname must not contain \"/\"");
        }
        if (name.length() > MAX_IFNAME_LENGTH) {
            throw new UsageException("ifname must be at most " + MAX_IFNAME_LENGTH + " characters, got \"" + name
                    + "\"");
        }
        return name;
    }

    /** @param net the network driver that runs (for a name another driver serves, that driver) */
    private static void checkPortDriver(PortDriverKind driver, NetworkDriverKind net, List<String> publish)
            throws UsageException {
        if (!driver.publishes && !publish.isEmpty()) {
            throw new UsageException("port driver \"" + driver.cliName + "\" does not support publishing ports");
        }
        if (driver.networks == null) {
            return;
        }
        boolean satisfied = driver.networks.isEmpty() ? net.newNamespace() : driver.networks.contains(net.cliName);
        if (!satisfied) {
            throw new UsageException("port driver requires " + driver.networksWording + " network");
        }
    }

    private static boolean reaper(String mode, boolean pidns) throws UsageException {
        return switch (mode) {
            case "auto" -> pidns;
            case "true" -> {
                if (!pidns) {
                    // Without a PID namespace the child is not PID 1: orphans would not be re-parented to it.
                    throw new UsageException("reaper requires --pidns");
                }
                yield true;
            }
            case "false" -> false;
            default -> throw new UsageException("unknown reaper mode: " + mode);
        };
    }

    private static List<String> copyUpDirs(List<String> dirs) throws UsageException {
        List<String> cleaned = new ArrayList<>();
        for (String dir : dirs) {
            if (!dir.startsWith("/")) {
                throw new UsageException("copy-up directory must be an absolute path, got \"" + dir + "\"");
            }
            String clean = path(Flag.COPY_UP, dir).normalize().toString();
            if (clean.equals("/tmp")) {
                // The copy-up itself stages the original tree under /tmp.
                throw new UsageException("/tmp cannot be copied up");
            }
            cleaned.add(clean);
        }
        return cleaned;
    }
}
