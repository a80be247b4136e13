package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * --net=slirp4netns and --net=pasta (issue 4): the interface, route and files inside, pasta's loopback, other hosts
 * (a namespace of the test's own, as root), --detach-netns, and no helper left after SIGKILL. What every network
 * driver must do (the host's loopback through the gateway, --disable-host-loopback, DNS through the driver's
 * resolver, --mtu, --cidr and --ifname) is NetworkDriverConformanceIT's; implicit ports are
 * PortDriverConformanceIT's.
 * Nothing here sends a packet off the machine: DNS at 10.0.2.3 would go to the host's real resolver, so it is
 * never queried; pasta with --disable-host-loopback would send 10.0.2.2 traffic out, so that is never tried.
 */
class NetworkIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"slirp4netns", "pasta"})
    void interfaceRouteAndNameFilesInside(String driver) {
        final Result result = sandbox.rootless().launch("--net=" + driver, "--copy-up=/etc",
                "--disable-host-loopback", "sh", "-c",
                "echo addr=$(ip -o -4 addr show tap0 | awk '{print $4}'); echo mtu=$(cat /sys/class/net/tap0/mtu); "
                        + "echo route=$(ip route show default); echo lo=$(cat /sys/class/net/lo/flags); "
                        + "echo resolv=$(cat /etc/resolv.conf); "
                        + "echo same=$([ /etc/resolv.conf -ef $ROOTLESSKIT_STATE_DIR/resolv.conf ] && echo yes); "
                        + "echo hosts=$(grep -c \"[[:space:]]$(hostname)\\b\" /etc/hosts); "
                        + "echo hostsfile=$([ /etc/hosts -ef $ROOTLESSKIT_STATE_DIR/hosts ] && echo yes)").run();

        Expect.exitCode(0, result);
        final Map<String, String> seen = result.keyValues();
        assertEquals("10.0.2.100/24", seen.get("addr"), result::describe);
        assertEquals("65520", seen.get("mtu"), result::describe);
        assertEquals("default via 10.0.2.2 dev tap0", seen.get("route"), result::describe);
        assertTrue((Integer.decode(seen.get("lo")) & 1) != 0, () -> "lo is down\n" + result.describe());
        assertEquals("nameserver 10.0.2.3", seen.get("resolv"), result::describe);
        assertEquals("yes", seen.get("same"), () -> "/etc/resolv.conf is not the state dir's\n" + result.describe());
        assertEquals("yes", seen.get("hostsfile"), () -> "/etc/hosts is not the state dir's\n" + result.describe());
        assertTrue(Integer.parseInt(seen.get("hosts")) >= 2, () -> "host name not in /etc/hosts\n" + result.describe());
    }

    /**
     * pasta's other way to the host: its own loopback, spliced to the host's (RootlessKit #612). All local. That
     * --disable-host-loopback closes it is NetworkDriverConformanceIT's.
     */
    @Test
    void pastasOwnLoopbackReachesTheHostsLoopback() {
        final HttpServer http = TestServers.http("reached through pasta's loopback");
        try {
            final String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/";
            final Result open = sandbox.rootless().launch("--net=pasta", "--copy-up=/etc", "sh", "-c",
                    "sleep 2; curl -sS -m 5 " + url).run();
            Expect.exitCode(0, open);
            assertEquals("reached through pasta's loopback", open.stdout().strip(), open::describe);
        } finally {
            http.stop(0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"slirp4netns", "pasta"})
    void detachedNamespaceIsEnteredFromTheStateDir(String driver) {
        final HttpServer http = TestServers.http("hello through the detached namespace");
        try {
            final Result result = sandbox.rootless().launch("--net=" + driver, "--detach-netns", "sh", "-c",
                    "echo here=$(ls /sys/class/net | grep -c tap0); "
                            + "nsenter --net=$ROOTLESSKIT_STATE_DIR/netns sh -c '"
                            + "echo addr=$(ip -o -4 addr show tap0 | cut -d\" \" -f7); "
                            + "echo http=$(curl -sS -m 10 http://10.0.2.2:" + http.getAddress().getPort() + "/)'; "
                            + "echo resolv=$(cat $ROOTLESSKIT_STATE_DIR/resolv.conf)").run();

            Expect.exitCode(0, result);
            final Map<String, String> seen = result.keyValues();
            assertEquals("0", seen.get("here"), () -> "the command is not in the host's namespace\n" + result.describe());
            assertEquals("10.0.2.100/24", seen.get("addr"), result::describe);
            assertEquals("hello through the detached namespace", seen.get("http"), result::describe);
            assertEquals("nameserver 10.0.2.3", seen.get("resolv"), result::describe);
        } finally {
            http.stop(0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"slirp4netns", "pasta"})
    void killingTheLauncherStopsTheNetworkHelper(String driver) {
        final Path ready = sandbox.workspace().path().resolve("ready");
        try (Running running = sandbox.rootless().launch("--net=" + driver, "--disable-host-loopback", "sh", "-c",
                "echo $$ > \"$0\" && exec sleep 100", ready.toString()).start()) {
            running.awaitPid(ready);
            final List<ProcessHandle> processes = new ArrayList<>(running.tree());
            final List<ProcessHandle> helpers = processes.stream().filter(NetworkIT::isNetworkHelper).toList();
            assertEquals(1, helpers.size(), () -> "expected one " + driver + " below the launcher:"
                    + Expect.describe(processes));
            processes.add(running.launcherHandle());

            running.signal("KILL");

            Expect.allGone(processes, Duration.ofSeconds(10), running.partialOutput());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"slirp4netns", "pasta"})
    void missingBinaryNamesThePackage(String driver) {
        final Result result = sandbox.rootless().launch("--net=" + driver, "--disable-host-loopback",
                "--" + driver + "-binary=/nonexistent/" + driver, "true").run();

        Expect.oneLineError(result);
        Expect.contains(driver.equals("pasta") ? "passt package" : "slirp4netns package", result.stderr(), result);
    }

    /**
     * Root only (CI): a server in a namespace of the test's own stands for another host; DNS from ours too. usernet is
     * here as well: its stack reaches other hosts through host sockets, whatever --disable-host-loopback says.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"slirp4netns", "pasta", "usernet"})
    void otherHostsAndDnsThroughTheNetworkWithHostLoopbackDisabled(String driver) throws IOException {
        assertTrue(Host.isRoot(), "needs root to create a network namespace: run the suite as hack/test.sh does");
        final Path www = sandbox.workspace().mkdir("www");
        sandbox.workspace().ownerShell("echo served from another host > www/index.html");
        try (TestNetns other = TestNetns.create()) {
            other.start(List.of("busybox", "httpd", "-f", "-p", other.address() + ":8080", "-h", www.toString()));
            final Process dns = other.start(List.of(TestServers.javaBinary(), "-cp",
                    System.getProperty("java.class.path"),
                    TinyDns.class.getName(), other.address(), "far.rjit.test", "192.0.2.77"));
            TestServers.awaitLine(dns, "ready");

            final Result result = sandbox.rootless().launch("--net=" + driver, "--copy-up=/etc",
                    "--disable-host-loopback", "sh", "-c",
                    "echo http=$(curl -sS -m 10 http://" + other.address() + ":8080/); "
                            + "echo nameserver " + other.address() + " > /etc/resolv.conf; "
                            + "echo dns=$(getent ahostsv4 far.rjit.test | head -1 | cut -d\" \" -f1)").run();

            Expect.exitCode(0, result);
            assertEquals("served from another host", result.keyValues().get("http"), result::describe);
            assertEquals("192.0.2.77", result.keyValues().get("dns"), result::describe);
        }
    }

    private static boolean isNetworkHelper(ProcessHandle process) {
        final String command = process.info().command().orElse("");
        final String name = Path.of(command.isEmpty() ? "/" : command).getFileName() == null ? ""
                : Path.of(command).getFileName().toString();
        return name.equals("slirp4netns") || name.startsWith("passt") || name.startsWith("pasta");
    }
}
