package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The cases every network driver is held to, each run once per driver through the real launcher: the namespace's
 * interface has the address and resolver {@code rootlessjctl info} reports and the MTU asked for, TCP and UDP reach
 * servers of the test's on the host's loopback through the gateway, DNS is answered through the driver's resolver
 * by a server of the test's (the host's resolv.conf is replaced for the launcher, root only), and
 * --disable-host-loopback refuses the host's loopback. Nothing leaves the machine. lxc-user-nic needs a bridge and
 * dnsmasq of its own and is held to the same things in LxcUserNicIT. The drivers with a namespace of their own also
 * follow --mtu, --cidr and --ifname.
 */
class NetworkDriverConformanceIT {

    private static final String NAME = "conformance.rjit.test";
    private static final String ANSWER = "192.0.2.99";
    /** A loopback address of its own, so that no other test's resolver (127.0.0.77, 127.0.53.1) is in the way. */
    private static final String RESOLVER = "127.0.0.79";
    private static final String MTU = "1500";

    /** A network driver with the way the namespace reaches the host's loopback. */
    enum Driver {
        SLIRP4NETNS("10.0.2.2", "10.0.2.2"),
        /** pasta with --disable-host-loopback would send 10.0.2.2 off the machine: its own loopback is judged. */
        PASTA("10.0.2.2", "127.0.0.1"),
        USERNET("10.0.2.2", "10.0.2.2"),
        /** No namespace of its own: the host's loopback is its own, which --disable-host-loopback leaves alone. */
        HOST("127.0.0.1", "127.0.0.1");

        private final String hostLoopback;
        private final String refusedWithDisableHostLoopback;

        Driver(String hostLoopback, String refusedWithDisableHostLoopback) {
            this.hostLoopback = hostLoopback;
            this.refusedWithDisableHostLoopback = refusedWithDisableHostLoopback;
        }

        String flag() {
            return "--net=" + name().toLowerCase();
        }

        boolean ownNamespace() {
            return this != HOST;
        }
    }

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @ParameterizedTest(name = "{0}")
    @EnumSource(Driver.class)
    void interfaceResolverAndHostLoopbackAsInfoSays(Driver driver) throws IOException {
        assertTrue(Host.isRoot(), "needs root to replace the host's resolv.conf: run the suite as hack/test.sh does");
        final Path resolvConf = sandbox.workspace().path().resolve("host-resolv.conf");
        Files.writeString(resolvConf, "nameserver " + RESOLVER + "\n");
        final HttpServer http = TestServers.http("hello from the host");
        final Process dns = new ProcessBuilder(TestServers.javaBinary(), "-cp", System.getProperty("java.class.path"),
                TinyDns.class.getName(), RESOLVER, NAME, ANSWER).start();
        try (DatagramSocket udp = TestServers.udpEcho()) {
            TestServers.awaitLine(dns, "ready");
            final List<String> args = new ArrayList<>(List.of(driver.flag(), "--copy-up=/etc"));
            if (driver.ownNamespace()) {
                args.add("--mtu=" + MTU);
            }
            args.addAll(List.of("sh", "-c", "info=$(" + Shell.quote(PortInstance.rootlessjctl())
                    + " --socket $ROOTLESSKIT_STATE_DIR/api.sock info); "
                    + "echo infodriver=$(echo \"$info\" | sed -n 's/^- Network Driver: //p'); "
                    + "echo infoip=$(echo \"$info\" | sed -n 's/^  - IP: //p'); "
                    + "echo infodns=$(echo \"$info\" | sed -n 's/^  - DNS: //p'); "
                    + "echo links=$(ls /sys/class/net | sort | tr '\\n' ' '); "
                    + "echo addr=$(ip -o -4 addr show tap0 2>/dev/null | awk '{print $4}'); "
                    + "echo mtu=$(cat /sys/class/net/tap0/mtu 2>/dev/null); "
                    + "echo route=$(ip route show default); "
                    + "echo resolv=$(grep ^nameserver /etc/resolv.conf); "
                    + "echo http=$(curl -sS -m 10 http://" + driver.hostLoopback + ":" + http.getAddress().getPort()
                    + "/); "
                    + "echo udp=$(echo ping | socat -t 5 - UDP:" + driver.hostLoopback + ":" + udp.getLocalPort()
                    + "); "
                    + "echo dns=$(getent ahostsv4 " + NAME + " | head -1 | cut -d' ' -f1)"));
            final Result result = sandbox.rootless().launch(args.toArray(String[]::new)).hostResolvConf(resolvConf)
                    .env("ROOTLESSJKIT_USERNET_RESOLV_CONF", resolvConf.toString()).run();

            Expect.exitCode(0, result);
            final Map<String, String> seen = result.keyValues();
            if (driver.ownNamespace()) {
                assertEquals(driver.name().toLowerCase(), seen.get("infodriver"), result::describe);
                final String ip = seen.get("infoip");
                final String resolver = seen.get("infodns").replaceAll("[\\[\\]]", "");
                assertTrue(ip.matches("\\d+\\.\\d+\\.\\d+\\.\\d+"), () -> "no IP in info\n" + result.describe());
                assertEquals("lo tap0", seen.get("links"), result::describe);
                assertEquals(ip + "/24", seen.get("addr"), result::describe);
                assertEquals(MTU, seen.get("mtu"), result::describe);
                assertEquals("default via " + driver.hostLoopback + " dev tap0", seen.get("route"), result::describe);
                assertEquals("nameserver " + resolver, seen.get("resolv"), result::describe);
            } else {
                // No network section in info (as RootlessKit's), and the host's own interfaces.
                assertEquals("", seen.get("infodriver"), result::describe);
                assertEquals(String.join(" ", Workspace.list(Path.of("/sys/class/net")).stream().sorted().toList()),
                        seen.get("links"), result::describe);
                assertEquals("nameserver " + RESOLVER, seen.get("resolv"), result::describe);
            }
            assertEquals("hello from the host", seen.get("http"), result::describe);
            assertEquals("PING", seen.get("udp"), result::describe);
            assertEquals(ANSWER, seen.get("dns"), result::describe);
        } finally {
            http.stop(0);
            dns.destroyForcibly();
        }
    }

    /** The interface, route and resolver inside follow --mtu, --cidr and --ifname; nothing is sent. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Driver.class, names = "HOST", mode = EnumSource.Mode.EXCLUDE)
    void mtuCidrAndIfnameFlags(Driver driver) {
        final Result result = sandbox.rootless().launch(driver.flag(), "--copy-up=/etc", "--disable-host-loopback",
                "--mtu=1500", "--cidr=10.77.0.0/16", "--ifname=eth7", "sh", "-c",
                "echo addr=$(ip -o -4 addr show eth7 | awk '{print $4}'); echo mtu=$(cat /sys/class/net/eth7/mtu); "
                        + "echo route=$(ip route show default); echo resolv=$(cat /etc/resolv.conf)").run();

        Expect.exitCode(0, result);
        final Map<String, String> seen = result.keyValues();
        assertEquals("10.77.0.100/16", seen.get("addr"), result::describe);
        assertEquals("1500", seen.get("mtu"), result::describe);
        assertEquals("default via 10.77.0.2 dev eth7", seen.get("route"), result::describe);
        assertEquals("nameserver 10.77.0.3", seen.get("resolv"), result::describe);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Driver.class)
    void disableHostLoopbackRefusesTheHostsLoopback(Driver driver) {
        final HttpServer http = TestServers.http("reached the host's loopback");
        try {
            // pasta maps its own loopback to the host's a moment after start (RootlessKit #612).
            final Result result = sandbox.rootless().launch(driver.flag(), "--disable-host-loopback",
                    "--copy-up=/etc", "sh", "-c", (driver == Driver.PASTA ? "sleep 2; " : "") + "curl -sS -m 5 http://"
                            + driver.refusedWithDisableHostLoopback + ":" + http.getAddress().getPort() + "/"
                            + " || echo refused").run();

            Expect.exitCode(0, result);
            final List<String> lines = result.stdoutLines();
            assertEquals(driver.ownNamespace() ? "refused" : "reached the host's loopback",
                    lines.get(lines.size() - 1), result::describe);
        } finally {
            http.stop(0);
        }
    }
}
