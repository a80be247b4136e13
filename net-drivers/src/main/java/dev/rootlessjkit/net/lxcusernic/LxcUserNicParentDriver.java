package dev.rootlessjkit.net.lxcusernic;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.HelperProcess;
import dev.rootlessjkit.net.NetworkOptions;
import dev.rootlessjkit.net.Programs;
import dev.rootlessjkit.net.api.NetworkContext;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.api.ParentNetworkDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The parent half of {@code --net=lxc-user-nic}: LXC's setuid helper creates a veth pair, one end attached to a
 * host bridge (lxcbr0 by default), the other moved into the child's namespace as eth0. Nothing runs for the life
 * of the namespace: the kernel forwards at bridge speed, and the bridge's dnsmasq (lxc-net) gives the child its
 * address, route and DNS by DHCP ({@link LxcUserNicChildDriver}). The veth goes away with the namespace.
 *
 * <p>Every set-up problem that can be seen before the child starts (helper missing or not setuid root, no such
 * bridge) is reported by the constructor, when nothing has been started yet.
 */
public final class LxcUserNicParentDriver implements ParentNetworkDriver {
    /** The key of {@link NetworkConfig#opaque()} that names the bridge for the child's error messages. */
    public static final String OPAQUE_BRIDGE = "lxc-user-nic.bridge";
    static final int DEFAULT_MTU = 1500;
    static final String DEFAULT_IFNAME = "eth0";
    private static final Path USERNET_CONFIG = Path.of("/etc/lxc/lxc-usernet");
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);
    private static final int SETUID = 04000;
    private static final Pattern SOURCE_POSITION = Pattern.compile("^\\S+\\.c: \\d+: (\\w+(: | - ))?");

    private final Linux linux;
    private final Log log;
    private final Path binary;
    private final String bridge;
    private final String ifname;
    private final int mtu;
    private final boolean detachNetns;

    public LxcUserNicParentDriver(NetworkOptions options, LxcUserNicOptions own, Linux linux, Log log)
            throws NetworkDriverException {
        this.linux = linux;
        this.log = log;
        final String name = own.binary();
        if (name.isEmpty()) {
            throw new NetworkDriverException("--net=lxc-user-nic: lxc-user-nic not found: install the lxc package "
                    + "(apt-get install lxc) or point --lxc-user-nic-binary at it");
        }
        this.binary = Programs.require(name, "lxc");
        requireSetuidRoot(binary);
        this.bridge = own.bridge();
        requireBridge(bridge);
        this.ifname = options.ifname() == null || options.ifname().isEmpty() ? DEFAULT_IFNAME : options.ifname();
        this.mtu = options.mtu() > 0 ? options.mtu() : DEFAULT_MTU;
        this.detachNetns = options.detachNetns();
    }

    @Override
    public NetworkConfig start(NetworkContext context) throws NetworkDriverException {
        if (!detachNetns) {
            create(context.childPid());
        } else {
            // lxc-user-nic names the namespace by a process in it, and with --detach-netns none is: one joins it
            // for as long as the helper runs.
            try (HelperProcess member = joinNamespace(context)) {
                create(member.pid());
            }
        }
        return new NetworkConfig(ifname, null, 0, null, List.of(), mtu, Map.of(OPAQUE_BRIDGE, bridge));
    }

    private void create(long pid) throws NetworkDriverException {
        final List<String> args = List.of("create", "/dev/null", "dummy", Long.toString(pid), "veth", bridge, ifname);
        log.debug("running " + binary + " " + String.join(" ", args));
        final Programs.ProbeResult result;
        try {
            result = Programs.probe(binary, args.toArray(String[]::new));
        } catch (IOException e) {
            throw new NetworkDriverException("failed to run " + binary + ": " + e.getMessage(), e);
        }
        if (result.exitCode() != 0) {
            throw new NetworkDriverException(failure(result.output(), result.exitCode()));
        }
        // "eth0:2:veth1001_E9bZ:88": the child's name and index, then the host side's.
        log.debug("lxc-user-nic created " + result.output().trim() + " on bridge " + bridge);
    }

    /** lxc-user-nic's reason, with the fix for the one a user meets first. */
    String failure(String output, int exitCode) {
        final String reason = lastLine(output);
        if (reason.contains("Quota reached")) {
            final String user = System.getProperty("user.name");
            return "lxc-user-nic may not add a veth of user " + user + " to bridge " + bridge + " (lxc-user-nic: "
                    + "Quota reached): allow it in " + USERNET_CONFIG + ", as root: echo '" + user + " veth "
                    + bridge + " 10' >> " + USERNET_CONFIG;
        }
        return binary + " create failed (exit status " + exitCode + ")" + (reason.isEmpty() ? "" : ": " + reason);
    }

    /**
     * The last line lxc-user-nic printed, without its source position and function ("../src/lxc/cmd/
     * lxc_user_nic.c: 1250: main: ", "...: 973: may_access_netns - ").
     */
    static String lastLine(String output) {
        final List<String> lines = output.strip().lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "" : SOURCE_POSITION.matcher(lines.get(lines.size() - 1).strip()).replaceFirst("");
    }

    /** A {@code sleep} in the detached namespace (and the child's user namespace, which owns it). */
    private HelperProcess joinNamespace(NetworkContext context) throws NetworkDriverException {
        final Path nsenter = Programs.require("nsenter", "util-linux");
        final HelperProcess member = HelperProcess.start(linux, log, "nsenter", List.of(nsenter.toString(),
                "--target", Long.toString(context.childPid()), "--user", "--preserve-credentials",
                "--net=" + context.netnsPath(), "sleep", "infinity"), Map.of());
        try {
            final Object namespace = Files.getAttribute(context.netnsPath(), "unix:ino");
            final Path memberNamespace = Path.of("/proc", Integer.toString(member.pid()), "ns", "net");
            final long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
            while (!namespace.equals(inode(memberNamespace))) {
                if (member.exited() || System.nanoTime() > deadline) {
                    throw new NetworkDriverException(member.failure("failed to join the detached network "
                            + "namespace " + context.netnsPath() + " for lxc-user-nic"));
                }
                Thread.sleep(10);
            }
            return member;
        } catch (IOException | NetworkDriverException e) {
            member.close();
            throw e instanceof NetworkDriverException n ? n : new NetworkDriverException("failed to read "
                    + context.netnsPath() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            member.close();
            Thread.currentThread().interrupt();
            throw new NetworkDriverException("interrupted while joining the detached network namespace", e);
        }
    }

    /** The namespace a process is in, or null while it cannot be read (the process is still starting). */
    private static Object inode(Path namespace) {
        try {
            return Files.getAttribute(namespace, "unix:ino");
        } catch (IOException e) {
            return null;
        }
    }

    private static void requireSetuidRoot(Path binary) throws NetworkDriverException {
        final int mode;
        final int owner;
        try {
            mode = (Integer) Files.getAttribute(binary, "unix:mode");
            owner = (Integer) Files.getAttribute(binary, "unix:uid");
        } catch (IOException e) {
            throw new NetworkDriverException("failed to read the mode of " + binary + ": " + e, e);
        }
        if ((mode & SETUID) == 0 || owner != 0) {
            throw new NetworkDriverException(binary + " is not setuid root, so it cannot create network devices: "
                    + "point --lxc-user-nic-binary at LXC's (Debian: /usr/libexec/lxc/lxc-user-nic, package lxc), "
                    + "or restore its mode as root: chown root " + binary + " && chmod u+s " + binary);
        }
    }

    private static void requireBridge(String bridge) throws NetworkDriverException {
        final Path device = Path.of("/sys/class/net").resolve(bridge);
        if (bridge.contains("/") || !Files.exists(device)) {
            throw new NetworkDriverException("bridge \"" + bridge + "\" does not exist: start LXC's bridge "
                    + "(USE_LXC_BRIDGE=\"true\" in /etc/default/lxc-net, then systemctl restart lxc-net, or "
                    + "/usr/libexec/lxc/lxc-net start without systemd), or name an existing bridge with "
                    + "--lxc-user-nic-bridge");
        }
        if (!Files.isDirectory(device.resolve("bridge"))) {
            throw new NetworkDriverException("\"" + bridge + "\" is not a bridge: name one with "
                    + "--lxc-user-nic-bridge (lxcbr0 is LXC's)");
        }
    }

    /** Nothing to stop: the veth lives and dies with the namespace. */
    @Override
    public void close() {
    }
}
