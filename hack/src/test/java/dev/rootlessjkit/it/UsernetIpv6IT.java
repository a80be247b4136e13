package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * --net=usernet --ipv6 (issue 14): the namespace's interface on fd00::/64 as slirp4netns --enable-ipv6 gives it,
 * the stack's own addresses reached with real tools inside. Nothing leaves the machine.
 */
class UsernetIpv6IT {
    private static final int TRANSFER_BYTES = 32 << 20;
    private static final InetAddress HOST_LOOPBACK = address("::1");

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    /**
     * The static fd00::100/64 and its default route via fd00::2 at once (no duplicate address detection to wait
     * for), the SLAAC address from the stack's router advertisement soon after, fd00::2 and fd00::3 answering ping,
     * fd00::3 as the second name server in resolv.conf and in the API's info, as RootlessKit reports slirp4netns.
     */
    @Test
    void interfaceRoutesPingResolverAndInfo() {
        final Result result = sandbox.rootless().launch("--net=usernet", "--ipv6", "--copy-up=/etc",
                "--disable-host-loopback", "sh", "-c",
                "echo addr=$(ip -o -6 addr show tap0 scope global -tentative | awk '{print $4}' | grep '::100/'); "
                        + "echo route=$(ip -6 route show default | grep -o 'via fd00::2 dev tap0'); "
                        + "echo ping=$(busybox ping -6 -c 1 -W 5 fd00::2 >/dev/null && echo ok); "
                        + "echo ping3=$(busybox ping -6 -c 1 -W 5 fd00::3 >/dev/null && echo ok); "
                        + "for i in $(seq 50); do ip -6 addr show tap0 | grep -q 'fd00::.*dynamic' && break; "
                        + "sleep 0.1; done; "
                        + "echo slaac=$(ip -o -6 addr show tap0 | grep -c 'fd00::.*dynamic'); "
                        + "echo ra=$(ip -6 route show default | grep -c 'via fe80::2 dev tap0 proto ra'); "
                        + "echo resolv=$(cat /etc/resolv.conf); "
                        + "echo info=$(curl -sS --unix-socket $ROOTLESSKIT_STATE_DIR/api.sock http://x/v1/info)")
                .run();

        Expect.exitCode(0, result);
        assertTrue(!result.stderr().contains("discarded"), result::describe);
        final Map<String, String> seen = result.keyValues();
        assertEquals("fd00::100/64", seen.get("addr"), result::describe);
        assertEquals("via fd00::2 dev tap0", seen.get("route"), result::describe);
        assertEquals("ok", seen.get("ping"), result::describe);
        assertEquals("ok", seen.get("ping3"), result::describe);
        assertEquals("1", seen.get("slaac"), () -> "no SLAAC address from the router advertisement\n"
                + result.describe());
        assertEquals("1", seen.get("ra"), result::describe);
        assertEquals("nameserver 10.0.2.3 nameserver fd00::3", seen.get("resolv"), result::describe);
        Expect.contains("\"networkDriver\":{\"driver\":\"usernet\",\"dns\":[\"10.0.2.3\",\"fd00::3\"],"
                + "\"childIP\":\"10.0.2.100\"}", seen.get("info"), result);
    }

    /**
     * TCP both ways to a server on the host's ::1 through [fd00::2] (32 MiB each way, compared by SHA-256), UDP to
     * ::1 the same way, DNS through fd00::3 alone, and, as RootlessKit's integration-ipv6.sh does with a dummy
     * interface on the host, a web server on an fdaa:: address of another host (a namespace of the test's own,
     * reached through the host's routing), pinged through an ICMPv6 ping socket.
     */
    @Test
    void hostLoopbackOtherHostsAndDnsOverIpv6() throws Exception {
        assertTrue(Host.isRoot(), "needs root to create a network namespace: run the suite as hack/test.sh does");
        final byte[] download = new byte[TRANSFER_BYTES];
        new Random(6).nextBytes(download);
        final Path www = sandbox.workspace().mkdir("www");
        sandbox.workspace().ownerShell("echo served over IPv6 > www/index.html");
        try (TestNetns other = TestNetns.create().withIpv6();
                ServerSocket up = new ServerSocket(0, 1, HOST_LOOPBACK);
                ServerSocket down = new ServerSocket(0, 1, HOST_LOOPBACK);
                DatagramSocket udp = TestServers.udpEcho(HOST_LOOPBACK)) {
            other.start(List.of("busybox", "httpd", "-f", "-p", "[" + other.ipv6Address() + "]:8080", "-h",
                    www.toString()));
            final Process dns = other.start(List.of(TestServers.javaBinary(), "-cp",
                    System.getProperty("java.class.path"), TinyDns.class.getName(), other.address(), "far.rjit.test",
                    "192.0.2.66"));
            TestServers.awaitLine(dns, "ready");
            final Path resolvConf = sandbox.workspace().path().resolve("upstream-resolv.conf");
            Files.writeString(resolvConf, "nameserver " + other.address() + "\n");
            final CompletableFuture<String> uploaded = CompletableFuture.supplyAsync(
                    () -> TestServers.sha256OfNextUpload(up));
            final CompletableFuture<Void> served = CompletableFuture.runAsync(
                    () -> TestServers.sendToNextClient(down, download));

            final Result result = sandbox.rootless().launch("--net=usernet", "--ipv6", "--copy-up=/etc", "sh", "-c",
                    "f=$TMPDIR/upload; head -c " + TRANSFER_BYTES + " /dev/urandom > $f; "
                            + "echo up=$(sha256sum < $f | cut -d' ' -f1); "
                            + "socat -u FILE:$f TCP6:[fd00::2]:" + up.getLocalPort() + "; rm -f $f; "
                            + "echo down=$(socat -u TCP6:[fd00::2]:" + down.getLocalPort() + " - | sha256sum "
                            + "| cut -d' ' -f1); "
                            + "echo udp=$(echo ping | socat -t 5 - UDP6:[fd00::2]:" + udp.getLocalPort() + "); "
                            + "echo http=$(curl -fsS -m 10 'http://[" + other.ipv6Address() + "]:8080/'); "
                            + "echo ping=$(busybox ping -6 -c 1 -W 5 " + other.ipv6Address()
                            + " >/dev/null && echo ok); "
                            + "echo nameserver fd00::3 > /etc/resolv.conf; "
                            + "echo dns=$(getent ahostsv4 far.rjit.test | head -1 | cut -d' ' -f1)")
                    .env("ROOTLESSJKIT_USERNET_RESOLV_CONF", resolvConf.toString())
                    .timeout(Duration.ofSeconds(90)).run();

            Expect.exitCode(0, result);
            final Map<String, String> seen = result.keyValues();
            served.get(10, TimeUnit.SECONDS);
            assertEquals(seen.get("up"), uploaded.get(10, TimeUnit.SECONDS), result::describe);
            assertEquals(TestServers.sha256(download), seen.get("down"), result::describe);
            assertEquals("PING", seen.get("udp"), result::describe);
            assertEquals("served over IPv6", seen.get("http"), result::describe);
            assertEquals("ok", seen.get("ping"), () -> "no echo through an ICMPv6 ping socket\n" + result.describe());
            assertEquals("192.0.2.66", seen.get("dns"), () -> "no answer through fd00::3\n" + result.describe());
        }
    }

    /**
     * A tcp6 port published by the usernet port driver reaches a server inside at fd00::100, which sees an IPv6
     * client with its own address (one of the host's, on the test's namespace link) and a loopback client as the
     * gateway fd00::2, as 10.0.2.2 stands for IPv4 loopback clients.
     */
    @Test
    void publishedTcp6PortShowsTheClientsOwnAddress() throws Exception {
        assertTrue(Host.isRoot(), "needs root to create a network namespace: run the suite as hack/test.sh does");
        final int[] ports = Ports.freeTcpPorts(2);
        try (TestNetns other = TestNetns.create().withIpv6();
                PortInstance instance = PortInstance.with(sandbox)
                        .drivers("--net=usernet", "--ipv6", "--port-driver=usernet")
                        .publish("[" + other.ipv6HostAddress() + "]:" + ports[0] + ":8080/tcp6")
                        .publish("[::1]:" + ports[1] + ":8080/tcp6")
                        .tcpServer(8080, "socat TCP6-LISTEN:8080,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'")
                        .start()) {
            final InetAddress hostAddress = InetAddress.getByName(other.ipv6HostAddress());
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(hostAddress, 0));
                s.connect(new InetSocketAddress(hostAddress, ports[0]), 5000);
                assertEquals(hostAddress, InetAddress.getByName(peerSeenInside(s)), instance::describe);
            }
            try (Socket s = Ports.connect(Ports.V6, ports[1])) {
                assertEquals(InetAddress.getByName("fd00::2"), InetAddress.getByName(peerSeenInside(s)),
                        instance::describe);
            }
        }
    }

    private static String peerSeenInside(Socket s) throws IOException {
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip()
                .replaceAll("[\\[\\]]", "");
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
