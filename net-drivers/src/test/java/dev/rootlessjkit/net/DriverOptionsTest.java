package dev.rootlessjkit.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.net.DriverFlags.PublishedPort;
import dev.rootlessjkit.net.lxcusernic.LxcUserNicOptions;
import dev.rootlessjkit.net.pasta.PastaOptions;
import dev.rootlessjkit.net.slirp4netns.Slirp4netnsOptions;
import dev.rootlessjkit.net.slirp4netns.Slirp4netnsOptions.Mode;
import dev.rootlessjkit.net.usernet.UsernetOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each network driver's registry entry makes its own options from the command line, and checks them there. */
class DriverOptionsTest {
    private static DriverOptions options(NetworkDriverKind kind, DriverFlags flags) throws InvalidOptionsException {
        return kind.options(flags);
    }

    @Test
    void slirp4netnsReadsItsModesBinaryAndApiSocket() throws InvalidOptionsException {
        assertEquals(new Slirp4netnsOptions("/opt/slirp4netns", Mode.AUTO, Mode.TRUE, false),
                options(NetworkDriverKind.SLIRP4NETNS, FakeDriverFlags.running(Map.of(
                        "slirp4netns-binary", "/opt/slirp4netns", "slirp4netns-sandbox", "auto",
                        "slirp4netns-seccomp", "true"))));
        // RootlessKit reads an empty mode as false; an empty binary is the one in $PATH.
        assertEquals(new Slirp4netnsOptions("slirp4netns", Mode.FALSE, Mode.FALSE, false),
                options(NetworkDriverKind.SLIRP4NETNS, FakeDriverFlags.running(Map.of())));
        assertTrue(((Slirp4netnsOptions) options(NetworkDriverKind.SLIRP4NETNS,
                new FakeDriverFlags(true, Map.of(), "slirp4netns", List.of(), Map.of()))).apiSocket());
    }

    @Test
    void slirp4netnsRefusesUnknownModesWhetherOrNotItRuns() {
        for (boolean runs : new boolean[] {true, false}) {
            assertEquals("unsupported slirp4netns-sandbox mode: \"maybe\"", assertThrows(InvalidOptionsException.class,
                    () -> options(NetworkDriverKind.SLIRP4NETNS, new FakeDriverFlags(runs,
                            Map.of("slirp4netns-sandbox", "maybe"), "none", List.of(), Map.of()))).getMessage());
            assertEquals("unsupported slirp4netns-seccomp mode: \"yes\"", assertThrows(InvalidOptionsException.class,
                    () -> options(NetworkDriverKind.SLIRP4NETNS, new FakeDriverFlags(runs,
                            Map.of("slirp4netns-seccomp", "yes"), "none", List.of(), Map.of()))).getMessage());
        }
    }

    /** The sandbox joins the user namespace by a PID, which a detached namespace has none of. */
    @Test
    void slirp4netnsSandboxConflictsWithDetachNetnsOnlyWhenItRuns() throws InvalidOptionsException {
        final Map<String, String> values = Map.of("slirp4netns-sandbox", "true", "detach-netns", "true");
        assertEquals("--slirp4netns-sandbox conflicts with --detach-netns", assertThrows(InvalidOptionsException.class,
                () -> options(NetworkDriverKind.SLIRP4NETNS, FakeDriverFlags.running(values))).getMessage());
        assertEquals(Mode.TRUE, ((Slirp4netnsOptions) options(NetworkDriverKind.SLIRP4NETNS,
                new FakeDriverFlags(false, values, "none", List.of(), Map.of()))).sandbox());
    }

    @Test
    void pastaTakesTheUdpSpecsOnlyForTheImplicitPortDriverWhenItRuns() throws InvalidOptionsException {
        final List<PublishedPort> published = List.of(new PublishedPort("8080:80/tcp", "tcp", "", 8080, 80),
                new PublishedPort("127.0.0.1:53:53/udp", "udp", "127.0.0.1", 53, 53),
                new PublishedPort("6000:6001/udp", "udp", "", 6000, 6001));
        final FakeDriverFlags implicit = new FakeDriverFlags(true, Map.of("pasta-binary", "/bin/pasta"), "implicit",
                published, Map.of());
        assertEquals(new PastaOptions("/bin/pasta", true, List.of("127.0.0.1/53", "6001")),
                options(NetworkDriverKind.PASTA, implicit));
        assertEquals(List.of("--port-driver=implicit forwards UDP port 6001 on the same number: the host port 6000 "
                + "of 6000:6001/udp is ignored"), implicit.warnings());

        final FakeDriverFlags notRunning = new FakeDriverFlags(false, Map.of(), "implicit", published, Map.of());
        assertEquals(new PastaOptions("pasta", true, List.of()), options(NetworkDriverKind.PASTA, notRunning));
        assertEquals(List.of(), notRunning.warnings());
        assertFalse(((PastaOptions) options(NetworkDriverKind.PASTA,
                new FakeDriverFlags(true, Map.of(), "none", published, Map.of()))).implicitPorts());
    }

    @Test
    void lxcUserNicReadsItsBinaryAndBridge() throws InvalidOptionsException {
        assertEquals(new LxcUserNicOptions("/bin/true", "br0"), options(NetworkDriverKind.LXC_USER_NIC,
                FakeDriverFlags.running(Map.of("lxc-user-nic-binary", "/bin/true", "lxc-user-nic-bridge", "br0"))));
        assertEquals(new LxcUserNicOptions("", "lxcbr0"),
                options(NetworkDriverKind.LXC_USER_NIC, FakeDriverFlags.running(Map.of())));
    }

    @Test
    void usernetAsksTheResolvConfTheEnvironmentNames() throws InvalidOptionsException {
        assertEquals(new UsernetOptions(Path.of("/etc/resolv.conf")),
                options(NetworkDriverKind.USERNET, FakeDriverFlags.running(Map.of())));
        assertEquals(new UsernetOptions(Path.of("/tmp/r.conf")), options(NetworkDriverKind.USERNET,
                new FakeDriverFlags(true, Map.of(), "none", List.of(),
                        Map.of(UsernetOptions.RESOLV_CONF_ENV, "/tmp/r.conf"))));
    }

    @Test
    void driversWithoutOptionsOfTheirOwnHaveNone() throws InvalidOptionsException {
        for (NetworkDriverKind kind : List.of(NetworkDriverKind.HOST, NetworkDriverKind.NONE, NetworkDriverKind.VPNKIT)) {
            assertSame(DriverOptions.NONE, options(kind, FakeDriverFlags.running(Map.of())), kind.cliName);
        }
    }

    @Test
    void aDriverGetsItsOwnOptionsBackAsItsType() {
        final NetworkOptions options = new NetworkOptions(NetworkDriverKind.LXC_USER_NIC, 0, null, null, false, false,
                false, new LxcUserNicOptions("/bin/true", "br0"));
        assertEquals("br0", options.driver(LxcUserNicOptions.class).bridge());
        assertThrows(ClassCastException.class, () -> options.driver(PastaOptions.class));
    }
}
