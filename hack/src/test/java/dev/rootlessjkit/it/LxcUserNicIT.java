package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * --net=lxc-user-nic on LXC's bridge lxcbr0 with lxc-net's dnsmasq (hack/ci-setup.sh sets both up and allows the
 * test user veths on it): the veth gets an address of the bridge's network by DHCP, route and DNS from it, and
 * real TCP and UDP traffic flows between the namespace and servers of this test on the bridge's host address,
 * also with --detach-netns. On a bridge of the test's own (rjlxctest0, which ci-setup.sh lets the user use) a
 * dnsmasq with 2-minute leases sees the lease renewed, and without a DHCP server the start fails after the
 * client's deadline. Bad set-ups are one-line errors naming the fix, with nothing left behind.
 */
class LxcUserNicIT {
    private static final String BRIDGE = "lxcbr0";
    private static final String TEST_BRIDGE = "rjlxctest0";
    private static final String TEST_BRIDGE_HOST = "10.251.77.1";
    private static final int BODY_BYTES = 4 << 20;

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    private InterfaceAddress bridge;
    private HttpServer http;
    private DatagramSocket udp;
    private String bodySha256;

    @BeforeEach
    void serversOnTheBridge() throws IOException {
        bridge = bridgeAddress();
        final byte[] body = new byte[BODY_BYTES];
        new Random(14).nextBytes(body);
        bodySha256 = sha256(body);
        http = HttpServer.create(new InetSocketAddress(bridge.getAddress(), 0), 8);
        http.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        udp = TestServers.udpEcho(bridge.getAddress());
    }

    @AfterEach
    void stopServers() {
        if (http != null) {
            http.stop(0);
        }
        if (udp != null) {
            udp.close();
        }
    }

    @Test
    void addressFromTheBridgeAndTrafficToItsHost() {
        final String host = bridge.getAddress().getHostAddress();
        final Result result = sandbox.rootless().launch("--net=lxc-user-nic", "--copy-up=/etc", "sh", "-c",
                "echo addr=$(ip -o -4 addr show eth0 | awk '{print $4}'); echo mtu=$(cat /sys/class/net/eth0/mtu); "
                        + "echo route=$(ip route show default); echo resolv=$(cat /etc/resolv.conf); "
                        + "echo tcp=$(curl -sS -m 20 http://" + host + ":" + http.getAddress().getPort()
                        + "/ | sha256sum | cut -d' ' -f1); "
                        + "echo udp=$(echo ping | socat -t 5 - UDP:" + host + ":" + udp.getLocalPort() + "); "
                        + "echo info=$(curl -sS --unix-socket $ROOTLESSKIT_STATE_DIR/api.sock http://x/v1/info)")
                .run();

        Expect.exitCode(0, result);
        final Map<String, String> seen = result.keyValues();
        assertInBridgeNetwork(seen.get("addr"), result);
        assertEquals("1500", seen.get("mtu"), result::describe);
        assertEquals("default via " + host + " dev eth0", seen.get("route"), result::describe);
        assertEquals("nameserver " + host, seen.get("resolv"), result::describe);
        assertEquals(bodySha256, seen.get("tcp"), () -> "4 MiB over TCP from the bridge's host\n" + result.describe());
        assertEquals("PING", seen.get("udp"), result::describe);
        Expect.contains("\"driver\":\"lxc-user-nic\"", seen.get("info"), result);
        Expect.contains("\"dynamicChildIP\":true", seen.get("info"), result);
    }

    /** The DHCP client identifier follows the state directory: a restart finds its lease (and address) again. */
    @Test
    void sameStateDirGetsTheSameAddressAgain() {
        final String stateDir = sandbox.workspace().path().resolve("state").toString();
        final String[] addresses = new String[2];
        for (int run = 0; run < 2; run++) {
            final Result result = sandbox.rootless().launch("--net=lxc-user-nic", "--state-dir=" + stateDir, "sh",
                    "-c", "echo addr=$(ip -o -4 addr show eth0 | awk '{print $4}')").run();
            Expect.exitCode(0, result);
            addresses[run] = result.keyValues().get("addr");
            assertInBridgeNetwork(addresses[run], result);
        }
        assertEquals(addresses[0], addresses[1], "a restart with the same --state-dir got another address");
    }

    @Test
    void detachedNamespaceGetsTheVeth() {
        final String host = bridge.getAddress().getHostAddress();
        final String inNetns = "nsenter -n$ROOTLESSKIT_STATE_DIR/netns ";
        final Result result = sandbox.rootless().launch("--net=lxc-user-nic", "--detach-netns", "--ifname=eth3",
                "--mtu=1400", "sh", "-c",
                "echo addr=$(" + inNetns + "ip -o -4 addr show eth3 | awk '{print $4}'); "
                        + "echo mtu=$(" + inNetns + "ip -o link show eth3 | grep -o 'mtu [0-9]*'); "
                        + "echo here=$(ip -o link show eth3 2>/dev/null | wc -l); "
                        + "echo tcp=$(" + inNetns + "curl -sS -m 20 http://" + host + ":" + http.getAddress().getPort()
                        + "/ | sha256sum | cut -d' ' -f1)")
                .run();

        Expect.exitCode(0, result);
        final Map<String, String> seen = result.keyValues();
        assertInBridgeNetwork(seen.get("addr"), result);
        assertEquals("mtu 1400", seen.get("mtu"), result::describe);
        assertEquals("0", seen.get("here"), () -> "the veth is in the command's namespace\n" + result.describe());
        assertEquals(bodySha256, seen.get("tcp"), result::describe);
    }

    @Test
    void missingBridgeIsOneLineNamingTheFix() {
        final Result result = sandbox.rootless().launch("--net=lxc-user-nic", "--lxc-user-nic-bridge=rjnosuchbr0",
                "true").run();

        Expect.oneLineError(result);
        Expect.contains("bridge \"rjnosuchbr0\" does not exist", result.stderr(), result);
        Expect.contains("lxc-net", result.stderr(), result);
        Expect.emptyDir(sandbox.workspace().tmpdir(), result);
    }

    @Test
    void helperThatIsNotSetuidIsOneLineNamingTheFix() {
        final Result result = sandbox.rootless().launch("--net=lxc-user-nic", "--lxc-user-nic-binary=/bin/true",
                "true").run();

        Expect.oneLineError(result);
        Expect.contains("/bin/true is not setuid root", result.stderr(), result);
        Expect.contains("--lxc-user-nic-binary", result.stderr(), result);
        Expect.emptyDir(sandbox.workspace().tmpdir(), result);
    }

    /** A bridge the user has no line for in /etc/lxc/lxc-usernet: lxc-user-nic refuses ("Quota reached"). */
    @Test
    void bridgeTheUserMayNotUseIsOneLineNamingTheFix() {
        final String denied = "rjlxcdeny" + ProcessHandle.current().pid() % 100000;
        Host.asRoot("ip", "link", "add", denied, "type", "bridge");
        try {
            final Result result = sandbox.rootless().launch("--net=lxc-user-nic", "--lxc-user-nic-bridge=" + denied,
                    "true").run();

            Expect.oneLineError(result);
            Expect.contains("may not add a veth of user " + sandbox.rootless().user().name() + " to bridge " + denied,
                    result.stderr(), result);
            Expect.contains("/etc/lxc/lxc-usernet", result.stderr(), result);
            Expect.emptyDir(sandbox.workspace().tmpdir(), result);
            assertEquals("", Host.asRoot("ip", "-o", "link", "show", "master", denied).stdout().trim(),
                    "a veth was left on the bridge");
        } finally {
            Host.asRoot("ip", "link", "del", denied);
        }
    }

    /** dnsmasq's shortest lease is 2 minutes: the child renews at 1 minute and keeps its address. */
    @Test
    void leaseIsRenewedWhileTheChildJvmStays() throws Exception {
        try (TestBridge bridge = TestBridge.create()) {
            final Path log = Files.createTempFile("rjlxc-dnsmasq", ".log");
            final Process dnsmasq = new ProcessBuilder("/usr/sbin/dnsmasq", "--keep-in-foreground",
                    "--conf-file=/dev/null", "--pid-file=", "--bind-interfaces", "--except-interface=lo",
                    "--interface=" + TEST_BRIDGE, "--listen-address=" + TEST_BRIDGE_HOST,
                    "--dhcp-range=10.251.77.2,10.251.77.50,2m", "--dhcp-leasefile=" + log + ".leases", "--no-ping",
                    "--log-dhcp", "--log-facility=-").redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                final Result result = sandbox.rootless().launch("--net=lxc-user-nic", "--pidns",
                        "--lxc-user-nic-bridge=" + TEST_BRIDGE, "sh", "-c",
                        "echo before=$(ip -o -4 addr show eth0 | awk '{print $4}'); sleep 75; "
                                + "echo after=$(ip -o -4 addr show eth0 | awk '{print $4}')")
                        .timeout(Duration.ofSeconds(150)).run();

                Expect.exitCode(0, result);
                final Map<String, String> seen = result.keyValues();
                final String address = seen.get("before");
                assertNotNull(address, result::describe);
                assertTrue(address.startsWith("10.251.77."), result::describe);
                assertEquals(address, seen.get("after"), result::describe);
                final String ip = address.split("/")[0];
                final String dhcpLog = Files.readString(log);
                final long acks = dhcpLog.lines().filter(l -> l.contains("DHCPACK(" + TEST_BRIDGE + ") " + ip + " "))
                        .count();
                assertTrue(acks >= 2, () -> "no renewal: " + acks + " DHCPACK for " + ip + "\n" + dhcpLog + "\n"
                        + result.describe());
            } finally {
                dnsmasq.destroy();
                dnsmasq.waitFor();
                Files.deleteIfExists(Path.of(log + ".leases"));
                Files.deleteIfExists(log);
            }
        }
    }

    @Test
    void bridgeWithoutDhcpServerFailsAfterTheDeadlineWithNothingLeft() {
        try (TestBridge bridge = TestBridge.create()) {
            final Result result = sandbox.rootless().launch("--net=lxc-user-nic",
                    "--lxc-user-nic-bridge=" + TEST_BRIDGE, "true").timeout(Duration.ofSeconds(90)).run();

            Expect.oneLineError(result);
            Expect.contains("no answer to DHCPDISCOVER within 30s: is the DHCP server of " + TEST_BRIDGE
                    + " running", result.stderr(), result);
            Expect.emptyDir(sandbox.workspace().tmpdir(), result);
            Expect.within(Duration.ofSeconds(10), "the veth on " + TEST_BRIDGE + " is gone",
                    () -> Host.asRoot("ip", "-o", "link", "show", "master", TEST_BRIDGE).stdout().isBlank());
        }
    }

    /** rjlxctest0 with the test's address, up for the test only. */
    private static final class TestBridge implements AutoCloseable {
        static TestBridge create() {
            Host.asRoot("ip", "link", "add", TEST_BRIDGE, "type", "bridge");
            final TestBridge bridge = new TestBridge();
            try {
                Host.asRoot("ip", "addr", "add", TEST_BRIDGE_HOST + "/24", "dev", TEST_BRIDGE);
                Host.asRoot("ip", "link", "set", TEST_BRIDGE, "up");
                return bridge;
            } catch (RuntimeException e) {
                bridge.close();
                throw e;
            }
        }

        @Override
        public void close() {
            Host.asRoot("ip", "link", "del", TEST_BRIDGE);
        }
    }

    private void assertInBridgeNetwork(String cidr, Result result) {
        assertNotNull(cidr, result::describe);
        final String[] parts = cidr.split("/");
        assertEquals(String.valueOf(bridge.getNetworkPrefixLength()), parts.length == 2 ? parts[1] : "",
                () -> "prefix of " + cidr + "\n" + result.describe());
        final int mask = -1 << (32 - bridge.getNetworkPrefixLength());
        final int ours = toInt(parts[0]);
        assertEquals(toInt(bridge.getAddress().getHostAddress()) & mask, ours & mask,
                () -> cidr + " is not in the network of " + BRIDGE + "\n" + result.describe());
        assertNotEquals(toInt(bridge.getAddress().getHostAddress()), ours, result::describe);
    }

    private static int toInt(String dotted) {
        int value = 0;
        for (String octet : dotted.split("\\.")) {
            value = value << 8 | Integer.parseInt(octet);
        }
        return value;
    }

    private static InterfaceAddress bridgeAddress() throws SocketException {
        final NetworkInterface nic = NetworkInterface.getByName(BRIDGE);
        assertNotNull(nic, BRIDGE + " does not exist: run hack/ci-setup.sh as root (it starts lxc-net)");
        final List<InterfaceAddress> v4 = nic.getInterfaceAddresses().stream()
                .filter(a -> a.getAddress() instanceof Inet4Address).toList();
        assertTrue(!v4.isEmpty(), BRIDGE + " has no IPv4 address: run hack/ci-setup.sh as root");
        return v4.get(0);
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
