package dev.rootlessjkit.net.pasta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.NetworkDriverKind;
import dev.rootlessjkit.net.NetworkOptions;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PastaCommandTest {
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    private static final Path PASTA = Path.of("/usr/bin/pasta");
    private static final Path PID_FILE = Path.of("/tmp/s/.pasta.pid");
    private static final List<String> PREFIX = List.of("/usr/bin/setpriv", "--pdeathsig", "KILL", "--",
            "/usr/bin/pasta", "--foreground", "--pid=/tmp/s/.pasta.pid", "--stderr");

    private static NetworkOptions options(int mtu, String cidr, String ifname, boolean disableHostLoopback,
            boolean ipv6, boolean detach, String portDriver) {
        return options(mtu, cidr, ifname, disableHostLoopback, ipv6, detach, portDriver, List.of());
    }

    private static NetworkOptions options(int mtu, String cidr, String ifname, boolean disableHostLoopback,
            boolean ipv6, boolean detach, String portDriver, List<String> udpPorts) {
        return new NetworkOptions(NetworkDriverKind.PASTA, mtu, cidr, ifname, disableHostLoopback, ipv6, detach,
                new PastaOptions("pasta", "implicit".equals(portDriver), udpPorts));
    }

    private static PastaCommand command(NetworkOptions options, Path setpriv, Path pasta, Path pidFile,
            boolean hostLoToNsLo) throws NetworkDriverException {
        return PastaParentDriver.command(options, options.driver(PastaOptions.class), setpriv, pasta, pidFile,
                hostLoToNsLo);
    }

    /** pasta before 2024 scans for UDP ports only when it starts: the -p UDP ports are passed to it instead. */
    @Test
    void implicitPortsWithPublishedUdpPortsForwardExactlyThose() throws NetworkDriverException {
        final List<String> argv = command(options(0, null, null, false, false, false, "implicit",
                List.of("127.0.0.1/53", "5001")), SETPRIV, PASTA, PID_FILE, false).argv(7, null);
        assertEquals(List.of("--tcp-ports=auto", "--udp-ports=127.0.0.1/53", "--udp-ports=5001", "7"),
                argv.subList(argv.indexOf("--tcp-ports=auto"), argv.size()));
    }

    private static List<String> expected(String... rest) {
        final List<String> argv = new ArrayList<>(PREFIX);
        argv.addAll(List.of(rest));
        return argv;
    }

    @Test
    void defaultsAsRootlessKitRunsPasta() throws NetworkDriverException {
        final PastaCommand command = command(options(0, null, null, false, false, false, "none"),
                SETPRIV, PASTA, PID_FILE, false);
        assertEquals(expected("--ns-ifname=tap0", "--mtu=65520", "--config-net", "--address=10.0.2.100",
                "--netmask=24", "--gateway=10.0.2.2", "--dns-forward=10.0.2.3", "--ipv4-only", "--tcp-ports=none",
                "--udp-ports=none", "1234"), command.argv(1234, null));
    }

    @Test
    void implicitPortsAndHostLoopbackBlockedAndIpv6() throws NetworkDriverException {
        final PastaCommand command = command(options(1500, "10.7.0.0/24", "eth0", true, true, false,
                "implicit"), SETPRIV, PASTA, PID_FILE, true);
        assertEquals(expected("--ns-ifname=eth0", "--mtu=1500", "--config-net", "--address=10.7.0.100",
                "--netmask=24", "--gateway=10.7.0.2", "--dns-forward=10.7.0.3", "--no-map-gw", "--tcp-ns=none",
                "--udp-ns=none", "--tcp-ports=auto", "--udp-ports=auto", "--host-lo-to-ns-lo", "9"),
                command.argv(9, null));
    }

    @Test
    void oldPastaKeepsImplicitPortsWorkingWithHostLoopbackDisabled() throws NetworkDriverException {
        final List<String> implicit = command(options(0, null, null, true, false, false, "implicit"),
                SETPRIV, PASTA, PID_FILE, false).argv(9, null);
        assertEquals(true, implicit.contains("--no-map-gw"));
        assertEquals(false, implicit.contains("--tcp-ns=none"));
        final List<String> none = command(options(0, null, null, true, false, false, "none"),
                SETPRIV, PASTA, PID_FILE, false).argv(9, null);
        assertEquals(true, none.containsAll(List.of("--no-map-gw", "--tcp-ns=none", "--udp-ns=none")));
    }

    @Test
    void detachedNamespaceIsJoinedByPath() throws NetworkDriverException {
        final PastaCommand command = command(options(0, null, null, false, false, true, "none"),
                SETPRIV, PASTA, PID_FILE, false);
        final List<String> argv = command.argv(55, Path.of("/proc/55/root/tmp/s/netns"));
        assertEquals(List.of("--userns=/proc/55/ns/user", "--netns=/proc/55/root/tmp/s/netns"),
                argv.subList(argv.size() - 2, argv.size()));
    }

    @Test
    void childIsToldWhatPastaConfigured() throws NetworkDriverException {
        final PastaCommand command = command(options(0, "192.168.100.0/24", null, false, false,
                false, "none"), SETPRIV, PASTA, PID_FILE, false);
        assertEquals(new NetworkConfig("tap0", "192.168.100.100", 24, "192.168.100.2", List.of("192.168.100.3"),
                65520, null), PastaParentDriver.networkConfig(command));
    }

    @Test
    void badCidrIsAUserError() {
        assertEquals("cidr must be like 10.0.2.0/24, not like 10.0.2.1/24", assertThrows(NetworkDriverException.class,
                () -> command(options(0, "10.0.2.1/24", null, false, false, false, "none"), SETPRIV,
                        PASTA, PID_FILE, false)).getMessage());
    }
}
