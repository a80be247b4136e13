package dev.rootlessjkit.parent.cli;

import dev.rootlessjkit.net.DriverOptions;
import dev.rootlessjkit.net.NetworkDriverKind;
import dev.rootlessjkit.net.lxcusernic.LxcUserNicOptions;
import dev.rootlessjkit.net.pasta.PastaOptions;
import dev.rootlessjkit.net.slirp4netns.Slirp4netnsOptions;
import dev.rootlessjkit.net.slirp4netns.Slirp4netnsOptions.Mode;
import dev.rootlessjkit.parent.ParentConfig;
import dev.rootlessjkit.parent.ParentConfig.Propagation;
import dev.rootlessjkit.parent.ParentConfig.SubidSource;
import dev.rootlessjkit.parent.Version;
import dev.rootlessjkit.port.PortDriverKind;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest {

    private static CliOutcome.Run run(String... args) throws UsageException {
        return assertInstanceOf(CliOutcome.Run.class, Cli.parse(args));
    }

    private static ParentConfig config(String... args) throws UsageException {
        return run(args).config();
    }

    private static CliOutcome.Print print(String... args) throws UsageException {
        return assertInstanceOf(CliOutcome.Print.class, Cli.parse(args));
    }

    private static Slirp4netnsOptions slirp4netns(ParentConfig c) {
        return c.network().driver(Slirp4netnsOptions.class);
    }

    private static PastaOptions pasta(ParentConfig c) {
        return c.network().driver(PastaOptions.class);
    }

    private static LxcUserNicOptions lxcUserNic(ParentConfig c) {
        return c.network().driver(LxcUserNicOptions.class);
    }

    @Test
    void defaultsAreRootlessKits() throws UsageException {
        CliOutcome.Run run = run("true");
        ParentConfig c = run.config();
        assertEquals(List.of(), run.warnings());
        assertNull(c.stateDir());
        assertEquals(NetworkDriverKind.HOST, c.network().kind());
        assertEquals(0, c.network().mtu());
        assertNull(c.network().cidr());
        assertNull(c.network().ifname());
        assertFalse(c.network().disableHostLoopback());
        assertFalse(c.network().ipv6());
        assertFalse(c.network().detachNetns());
        assertEquals(DriverOptions.NONE, c.network().driver());
        // The drivers' own flags, as the drivers that read them see their defaults.
        assertEquals(new Slirp4netnsOptions("slirp4netns", Mode.FALSE, Mode.FALSE, false),
                slirp4netns(config("--net=slirp4netns", "x")));
        assertEquals("pasta", pasta(config("--net=pasta", "x")).binary());
        assertEquals(List.of(), c.copyUpDirs());
        assertEquals(Propagation.RPRIVATE, c.propagation());
        assertEquals(PortDriverKind.NONE, c.ports().kind());
        assertEquals(List.of(), c.publish());
        assertTrue(c.ports().sourceIpTransparent());
        assertFalse(c.pidns());
        assertFalse(c.cgroupns());
        assertFalse(c.utsns());
        assertFalse(c.ipcns());
        assertFalse(c.reaper());
        assertNull(c.evacuateCgroup2());
        assertEquals(SubidSource.AUTO, c.subidSource());
        assertFalse(c.singleIdMapping());
        assertFalse(c.debug());
        assertEquals(List.of("true"), c.command());
    }

    @Test
    void dockerdRootlessStyleCommandLine() throws UsageException {
        CliOutcome.Run run = run("--state-dir=/run/user/1001/dockerd-rootless", "--net=slirp4netns", "--mtu=65520",
                "--slirp4netns-sandbox=auto", "--slirp4netns-seccomp=auto", "--disable-host-loopback",
                "--port-driver=builtin", "--copy-up=/etc", "--copy-up=/run", "--propagation=rslave",
                "/usr/bin/dockerd-rootless.sh", "--experimental");
        ParentConfig c = run.config();
        assertEquals(List.of(), run.warnings());
        assertEquals(Path.of("/run/user/1001/dockerd-rootless"), c.stateDir());
        assertEquals(NetworkDriverKind.SLIRP4NETNS, c.network().kind());
        assertEquals(65520, c.network().mtu());
        assertEquals(Mode.AUTO, slirp4netns(c).sandbox());
        assertEquals(Mode.AUTO, slirp4netns(c).seccomp());
        assertTrue(c.network().disableHostLoopback());
        assertEquals(PortDriverKind.BUILTIN, c.ports().kind());
        assertEquals(List.of("/etc", "/run"), c.copyUpDirs());
        assertEquals(Propagation.RSLAVE, c.propagation());
        assertEquals(List.of("/usr/bin/dockerd-rootless.sh", "--experimental"), c.command());
    }

    @Test
    void everyDriverPairingThatIsAllowed() throws UsageException {
        assertEquals(PortDriverKind.BUILTIN, config("--net=none", "--port-driver=builtin", "x").ports().kind());
        assertEquals(PortDriverKind.IMPLICIT, config("--net=pasta", "--port-driver=implicit", "x").ports().kind());
        assertEquals(PortDriverKind.SLIRP4NETNS,
                config("--net=slirp4netns", "--port-driver=slirp4netns", "x").ports().kind());
        assertEquals(PortDriverKind.USERNET, config("--net=usernet", "--port-driver=usernet", "x").ports().kind());
        assertEquals(PortDriverKind.BUILTIN, config("--net=usernet", "--port-driver=builtin", "x").ports().kind());
        assertEquals(PortDriverKind.NONE, config("--net=pasta", "x").ports().kind());
        assertEquals(List.of("127.0.0.1:8080:80/tcp"),
                config("--net=pasta", "--port-driver=implicit", "-p", "127.0.0.1:8080:80/tcp", "x").publish());
    }

    /**
     * With the implicit port driver, TCP -p specs are accepted and ignored, as RootlessKit does (pasta publishes
     * every TCP port bound inside), and the UDP ones go to pasta, which scans for UDP ports only when it starts.
     */
    @Test
    void publishWithTheImplicitPortDriverPassesOnlyUdpToPasta() throws UsageException {
        assertTrue(print("--help").text().contains("with --port-driver=implicit, where pasta publishes every TCP "
                + "port bound inside, only its UDP ports are used (passed to pasta, on the same number)"),
                print("--help").text());
        final CliOutcome.Run run = run("--net=pasta", "--port-driver=implicit", "-p",
                "127.0.0.1:8080:80/tcp,127.0.0.1:53:53/udp", "-p", "[::1]:5001:5001/udp6", "-p", "6000:6001/udp", "x");
        assertEquals(List.of("127.0.0.1/53", "::1/5001", "6001"), pasta(run.config()).udpPorts());
        assertTrue(run.warnings().contains("--port-driver=implicit forwards UDP port 6001 on the same number: the "
                + "host port 6000 of 6000:6001/udp is ignored"), run.warnings().toString());
        assertInstanceOf(Slirp4netnsOptions.class, config("--net=slirp4netns", "--port-driver=builtin", "-p",
                "127.0.0.1:8053:53/udp", "x").network().driver(), "other port drivers publish -p themselves");
        assertFalse(slirp4netns(config("--net=slirp4netns", "--port-driver=builtin", "x")).apiSocket(),
                "only the slirp4netns port driver uses its API socket");
        assertTrue(slirp4netns(config("--net=slirp4netns", "--port-driver=slirp4netns", "x")).apiSocket());
    }

    @Test
    void goStyleBooleans() throws UsageException {
        assertTrue(config("--pidns", "x").pidns());
        assertTrue(config("--pidns=true", "x").pidns());
        assertFalse(config("--pidns=false", "x").pidns());
        assertTrue(config("--pidns=1", "x").pidns());
        assertFalse(config("--pidns=F", "x").pidns());
        assertFalse(config("--source-ip-transparent=false", "x").ports().sourceIpTransparent());
        // The word after a bare boolean is the command, as with Go's flag package.
        ParentConfig c = config("--pidns", "true");
        assertTrue(c.pidns());
        assertEquals(List.of("true"), c.command());
        c = config("--pidns", "false", "--utsns");
        assertTrue(c.pidns());
        assertFalse(c.utsns());
        assertEquals(List.of("false", "--utsns"), c.command());
    }

    @Test
    void valuesSeparateOrAttached() throws UsageException {
        assertEquals(NetworkDriverKind.USERNET, config("--net", "usernet", "x").network().kind());
        assertEquals(NetworkDriverKind.USERNET, config("--net=usernet", "x").network().kind());
        assertEquals(1500, config("--net", "pasta", "--mtu", "1500", "x").network().mtu());
        // Go's flag package also reads one dash before long names.
        assertEquals(NetworkDriverKind.PASTA, config("-net=pasta", "x").network().kind());
        assertTrue(config("-pidns", "x").pidns());
        // A value that looks like a flag is still the value, as in Go.
        assertEquals("--odd", pasta(config("--net=pasta", "--pasta-binary", "--odd", "x")).binary());
    }

    @Test
    void lastValueWinsForSingleValueFlags() throws UsageException {
        assertEquals(NetworkDriverKind.PASTA, config("--net=slirp4netns", "--net=pasta", "x").network().kind());
        assertFalse(config("--pidns", "--pidns=false", "x").pidns());
    }

    @Test
    void repeatedAndCommaSeparatedListFlags() throws UsageException {
        ParentConfig c = config("--net=usernet", "--port-driver=builtin", "-p", "127.0.0.1:8080:80/tcp",
                "--publish=0.0.0.0:53:53/udp", "-p=[::1]:8443:443/tcp",
                "--publish", "127.0.0.1:2222:22/tcp,127.0.0.1:2223:23/tcp", "--copy-up=/etc,/run",
                "--copy-up", "/var/lib/", "x");
        assertEquals(List.of("127.0.0.1:8080:80/tcp", "0.0.0.0:53:53/udp", "[::1]:8443:443/tcp",
                "127.0.0.1:2222:22/tcp", "127.0.0.1:2223:23/tcp"), c.publish());
        assertEquals(List.of("/etc", "/run", "/var/lib"), c.copyUpDirs());
    }

    @Test
    void doubleDashEndsFlags() throws UsageException {
        assertEquals(List.of("-x", "y"), config("--", "-x", "y").command());
        ParentConfig c = config("--pidns", "--", "--utsns");
        assertTrue(c.pidns());
        assertFalse(c.utsns());
        assertEquals(List.of("--utsns"), c.command());
        // After the command has started, "--" belongs to it.
        assertEquals(List.of("sh", "--", "x"), config("sh", "--", "x").command());
    }

    @Test
    void firstPositionalEndsFlags() throws UsageException {
        assertEquals(List.of("sh", "-c", "id"), config("sh", "-c", "id").command());
        ParentConfig c = config("--utsns", "sh", "--pidns", "--help", "--foo");
        assertTrue(c.utsns());
        assertFalse(c.pidns());
        assertEquals(List.of("sh", "--pidns", "--help", "--foo"), c.command());
        assertEquals(List.of("@args"), config("@args").command());
    }

    @Test
    void stateDirIsMadeAbsolute() throws UsageException {
        Path expected = Path.of("").toAbsolutePath().resolve("state");
        assertEquals(expected, config("--state-dir=state", "x").stateDir());
        assertEquals(expected, config("--state-dir=./foo/../state/", "x").stateDir());
    }

    @Test
    void reaperFollowsPidnsWhenAuto() throws UsageException {
        assertTrue(config("--pidns", "x").reaper());
        assertFalse(config("--pidns", "--reaper=false", "x").reaper());
        assertTrue(config("--pidns", "--reaper=true", "x").reaper());
        assertFalse(config("--reaper=false", "x").reaper());
    }

    @Test
    void warnings() throws UsageException {
        String loopback = "specifying --disable-host-loopback is highly recommended to prohibit connecting to "
                + "127.0.0.1:* on the host namespace (requires pasta, slirp4netns, or usernet)";
        assertEquals(List.of(loopback), run("--net=usernet", "x").warnings());
        assertEquals(List.of(), run("--net=none", "x").warnings());
        assertEquals(List.of("ipv6 is experimental"), run("--net=pasta", "--disable-host-loopback", "--ipv6", "x")
                .warnings());
        assertEquals(List.of("ipv6 is experimental"), run("--net=usernet", "--disable-host-loopback", "--ipv6", "x")
                .warnings());
        assertEquals(List.of("ipv6 is experimental", "--ipv6 is discarded for --net=host"),
                run("--ipv6", "x").warnings());
        assertEquals(List.of("unsupported mtu for --net=host: 1500"), run("--mtu=1500", "x").warnings());
        assertEquals(List.of("unsupported mtu for --net=none: 1500"), run("--net=none", "--mtu=1500", "x")
                .warnings());
    }

    @Test
    void networkOptionsForNonHostNetworks() throws UsageException {
        ParentConfig c = config("--net=slirp4netns", "--cidr=10.0.3.0/24", "--ifname=eth0", "--mtu=1500",
                "--detach-netns", "--slirp4netns-binary=/opt/slirp4netns", "x");
        assertEquals("10.0.3.0/24", c.network().cidr());
        assertEquals("eth0", c.network().ifname());
        assertEquals(1500, c.network().mtu());
        assertTrue(c.network().detachNetns());
        assertEquals("/opt/slirp4netns", slirp4netns(c).binary());
        assertEquals("0.0.0.0/0", config("--net=usernet", "--cidr=0.0.0.0/0", "x").network().cidr());
        assertEquals("10.0.2.15/32", config("--net=pasta", "--cidr=10.0.2.15/32", "x").network().cidr());
        // RootlessKit reads an empty mode as false.
        assertEquals(Mode.FALSE, slirp4netns(config("--net=slirp4netns", "--slirp4netns-sandbox=", "x")).sandbox());
    }

    /** dockerd-rootless.sh's fallback when no helper binary is installed; usernet serves it. */
    @Test
    void gvisorTapVsockIsServedByUsernetWithItsDefaults() throws UsageException {
        ParentConfig c = config("--net=gvisor-tap-vsock", "--port-driver=gvisor-tap-vsock", "--disable-host-loopback",
                "x");
        assertEquals(NetworkDriverKind.USERNET, c.network().kind());
        assertEquals(PortDriverKind.USERNET, c.ports().kind());
        assertEquals(1500, c.network().mtu());
        assertTrue(c.network().disableHostLoopback());
        assertEquals(9000, config("--net=gvisor-tap-vsock", "--mtu=9000", "x").network().mtu());
        assertEquals("10.0.3.0/24", config("--net=gvisor-tap-vsock", "--cidr=10.0.3.0/24", "x").network().cidr());
        assertEquals(PortDriverKind.USERNET, config("--net=usernet", "--port-driver=gvisor-tap-vsock", "x")
                .ports().kind());
        assertEquals(PortDriverKind.BUILTIN, config("--net=gvisor-tap-vsock", "--port-driver=builtin", "x")
                .ports().kind());
    }

    /** Scripts pass these whatever the network; RootlessKit 1.1.0 accepts them, so must we. */
    @Test
    void vpnkitAndLxcUserNicFlagsAreAccepted() throws UsageException {
        ParentConfig c = config("--net=slirp4netns", "--vpnkit-binary=/opt/vpnkit",
                "--lxc-user-nic-binary=/opt/lxc-user-nic", "--lxc-user-nic-bridge=br0", "x");
        assertEquals(NetworkDriverKind.SLIRP4NETNS, c.network().kind());
        String help = print("--help").text();
        assertTrue(help.contains("--vpnkit-binary value") && help.contains("(default: \"vpnkit\")"), help);
        assertTrue(help.contains("--lxc-user-nic-bridge value") && help.contains("(default: \"lxcbr0\")"), help);
        if (LxcUserNic.defaultBinary().isEmpty()) {
            UsageException e = assertThrows(UsageException.class, () -> config("--net=lxc-user-nic", "x"));
            assertTrue(e.getMessage().startsWith("--net=lxc-user-nic: lxc-user-nic not found (looked for "
                    + "/usr/libexec/lxc/lxc-user-nic, "), e.getMessage());
        }
    }

    @Test
    void lxcUserNicTakesItsBinaryAndBridge() throws UsageException {
        ParentConfig c = config("--net=lxc-user-nic", "--lxc-user-nic-binary=/bin/true", "--lxc-user-nic-bridge=br0",
                "--mtu=9000", "--ifname=eth1", "x");
        assertEquals(NetworkDriverKind.LXC_USER_NIC, c.network().kind());
        assertEquals("/bin/true", lxcUserNic(c).binary());
        assertEquals("br0", lxcUserNic(c).bridge());
        assertEquals(9000, c.network().mtu());
        assertEquals("eth1", c.network().ifname());
        assertEquals("lxcbr0", lxcUserNic(config("--net=lxc-user-nic", "--lxc-user-nic-binary=/bin/true", "x"))
                .bridge());
    }

    @Test
    void sourceIpTransparentIsOnByDefaultAndDocumented() throws UsageException {
        assertTrue(config("--net=slirp4netns", "--port-driver=builtin", "x").ports().sourceIpTransparent());
        assertTrue(config("--net=slirp4netns", "--port-driver=builtin", "--source-ip-transparent", "x")
                .ports().sourceIpTransparent());
        assertFalse(config("--net=slirp4netns", "--port-driver=builtin", "--source-ip-transparent=false", "x")
                .ports().sourceIpTransparent());
        assertTrue(print("--help").text().contains("preserve real client source IP using IP_TRANSPARENT (builtin port "
                + "driver, TCP only; --port-driver=usernet always does) (default: true)"), print("--help").text());
    }

    @Test
    void remainingFlags() throws UsageException {
        ParentConfig c = config("--debug", "--cgroupns", "--pidns", "--utsns", "--ipcns", "--evacuate-cgroup2=evac",
                "--subid-source=static", "--single-id-mapping", "--propagation=private", "--pasta-binary=/bin/pasta",
                "x");
        assertTrue(c.debug());
        assertTrue(c.cgroupns());
        assertTrue(c.utsns());
        assertTrue(c.ipcns());
        assertEquals("evac", c.evacuateCgroup2());
        assertEquals(SubidSource.STATIC, c.subidSource());
        assertTrue(c.singleIdMapping());
        assertEquals(Propagation.PRIVATE, c.propagation());
        assertEquals("/bin/pasta", pasta(config("--net=pasta", "--pasta-binary=/bin/pasta", "x")).binary());
        assertEquals(SubidSource.DYNAMIC, config("--subid-source=dynamic", "x").subidSource());
        assertEquals(Propagation.SHARED, config("--propagation=shared", "x").propagation());
    }

    @Test
    void helpListsEveryCategoryInOrder() throws UsageException {
        CliOutcome.Print help = print("--help");
        assertEquals(0, help.exitCode());
        String text = help.text();
        assertTrue(text.startsWith("NAME:\n   rootlessjkit - Linux-native fakeroot using user namespaces\n"), text);
        assertTrue(text.contains("USAGE:\n   rootlessjkit [global options] [arguments...]\n"), text);
        int previous = -1;
        for (String heading : List.of("Misc", "Mount", "Network", "Network [lxc-user-nic]", "Network [pasta]",
                "Network [slirp4netns]", "Network [vpnkit]", "Port", "Process", "State", "SubID")) {
            int at = text.indexOf("\n  " + heading + ":\n");
            assertTrue(at > previous, heading + " missing or out of order");
            previous = at;
        }
        for (Flag flag : Flag.values()) {
            assertTrue(text.contains("    " + flag.longName()), flag.longName());
        }
        assertTrue(text.contains("--net value"));
        assertTrue(text.contains("(default: \"host\")"));
        assertTrue(text.contains("--publish value, -p value"));
        assertEquals(text, print("-h").text());
        assertEquals(text, print("--net=bogus", "--help").text());
    }

    @Test
    void versionAndSemver() throws UsageException {
        Version v = Version.current();
        assertEquals(new CliOutcome.Print("rootlessjkit version " + v.text() + "\n", 0), print("--version"));
        assertEquals(print("--version"), print("-v"));
        assertEquals(new CliOutcome.Print(v.major() + "\n", 0), print("--print-semver=major"));
        assertEquals(new CliOutcome.Print(v.minor() + "\n", 0), print("--print-semver", "minor"));
        assertEquals(new CliOutcome.Print(v.patch() + "\n", 0), print("--print-semver=patch", "ignored"));
    }
}
