package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.PolicyRouting;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.DetachedNetns;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * --source-ip-transparent through both halves of the builtin driver, with nothing shared with the host: the child
 * half dials in a namespace of the test's own ({@code state/netns}, as with --detach-netns), and the parent half
 * listens in another ({@code state/client/netns}), where the client has 10.9.8.7 (on {@code lo:1}). The server
 * inside answers with the address it sees. Needs root, as the whole build does.
 */
@Timeout(60)
class SourceIpTransparentTest {
    private static final byte[] CLIENT = {10, 9, 8, 7};

    @TempDir
    Path state;

    private final Linux linux = Linux.load();
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final PrintStream stderr = System.err;
    private Path netns;
    private Path clientNetns;
    private Log log;

    @BeforeEach
    void start() throws Exception {
        netns = DetachedNetns.create(linux, state);
        clientNetns = DetachedNetns.create(linux, Files.createDirectory(state.resolve("client")));
        asClient(() -> {
            linux.bringUp("lo");
            linux.configureIpv4("lo:1", 0, CLIENT, 32);
            return null;
        });
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        log = new Log("test", true);
    }

    @AfterEach
    void stop() throws Exception {
        System.setErr(stderr);
        stderr.print(captured.toString(StandardCharsets.UTF_8));
        linux.umount(netns.toString(), Linux.MNT_DETACH);
        linux.umount(clientNetns.toString(), Linux.MNT_DETACH);
    }

    @Test
    void theServerSeesTheClientsAddressAndPort() throws Exception {
        final String[] seen = seenByServer(true, false);
        assertEquals("10.9.8.7", seen[0], captured::toString);
        assertEquals(seen[2], seen[1], "the client's port, which is in the ephemeral range");
    }

    @Test
    void withoutTheFlagTheServerSeesLoopback() throws Exception {
        assertEquals("127.0.0.1", seenByServer(false, false)[0]);
    }

    @Test
    void aRefusedSetUpFallsBackWithOneDebugLine() throws Exception {
        assertEquals("127.0.0.1", seenByServer(true, true)[0]);
        final long lines = captured.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains("--source-ip-transparent: netlink ip route add local default dev lo table"
                        + " 100: File exists; IPv4 clients are dialled from the namespace's own address")).count();
        assertEquals(1, lines, captured::toString);
    }

    /**
     * Nothing listens on the target: dialled from the child half's own address, with a debug line. A dial from the
     * client's address would hang, as the kernel's RST carries no mark; this one is refused at once.
     */
    @Test
    void aPortWhereNothingListensIsRefusedPromptly() throws Exception {
        inside(() -> {
            linux.bringUp("lo");
            return null;
        });
        final int port = Peers.freePort();
        asClient(() -> {
            try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(90), netns, true, log)) {
                final int published = pair.publish("tcp", "127.0.0.1", port);
                for (int i = 0; i < 3; i++) {
                    try (Socket s = connectFromClient(published)) {
                        // Past the child half's 3 s wait for an answer to the client's address, short of its 30 s
                        // connect timeout.
                        s.setSoTimeout(2_000);
                        assertEquals(-1, s.getInputStream().read());
                    } catch (IOException e) {
                        assertTrue(e.getMessage().contains("reset"), e.toString());
                    }
                }
            }
            return null;
        });
        assertEquals(3, captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(
                "builtin port driver: tcp 127.0.0.1:" + port + ": no listener there (a DNAT rule may take the connection"
                        + " elsewhere")).count(), captured::toString);
    }

    /**
     * A DNAT rule inside sends connections for 127.0.0.1:PORT to another namespace (a container, 172.30.0.2 over a
     * veth pair), as Docker does with userland-proxy off. Answers from there carry no mark, so a dial from the
     * client's address would never complete. Without a listener on PORT the child half dials from its own address
     * at once; with one (which the DNAT rule bypasses) it waits for an answer, then dials again without the client's
     * address, and does so at once for that target afterwards. The container answers every connection.
     */
    @Test
    void connectionsThatADnatRuleTakesElsewhereStillArrive() throws Exception {
        final String container = "rjsrcip" + Long.toHexString(System.nanoTime() & 0xffffff);
        final Path containerNetns = Path.of("/run/netns", container);
        final int port = Peers.freePort();
        run("ip", "netns", "add", container);
        try {
            final String a = "--net=" + netns;
            run("nsenter", a, "ip", "link", "set", "lo", "up");
            run("nsenter", a, "ip", "link", "add", "rjva", "type", "veth", "peer", "name", "rjvc", "netns", container);
            run("nsenter", a, "ip", "addr", "add", "172.30.0.1/24", "dev", "rjva");
            run("nsenter", a, "ip", "link", "set", "rjva", "up");
            run("ip", "-n", container, "addr", "add", "172.30.0.2/24", "dev", "rjvc");
            run("ip", "-n", container, "link", "set", "rjvc", "up");
            run("ip", "-n", container, "link", "set", "lo", "up");
            run("nsenter", a, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1");
            run("nsenter", a, "iptables", "-t", "nat", "-A", "OUTPUT", "-d", "127.0.0.1", "-p", "tcp", "--dport",
                    String.valueOf(port), "-j", "DNAT", "--to-destination", "172.30.0.2:" + port);
            run("nsenter", a, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "127.0.0.0/8", "-o", "rjva", "-j",
                    "MASQUERADE");
            try (ServerSocket server = DetachedNetns.inNamespace(linux, containerNetns, "enter the container",
                    () -> new ServerSocket(port, 50, InetAddress.getByName("172.30.0.2")))) {
                Peers.daemon(() -> answerWithPeer(server));
                asClient(() -> {
                    try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(90), netns, true, log)) {
                        final int published = pair.publish("tcp", "127.0.0.1", port);
                        assertEquals("172.30.0.1", answer(published)); // no listener: dialled plainly
                        try (ServerSocket bypassed = inside(() -> new ServerSocket(port, 50,
                                InetAddress.getLoopbackAddress()))) {
                            for (int i = 0; i < 3; i++) {
                                assertEquals("172.30.0.1", answer(published), captured::toString);
                            }
                        }
                    }
                    return null;
                });
            }
        } finally {
            run("ip", "netns", "del", container);
        }
        assertEquals(1, captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(
                "no answer to the client's address within 3000 ms (a DNAT rule inside?); dialling it from the "
                        + "namespace's own address from now on")).count(), captured::toString);
    }

    private static String answer(int published) throws IOException {
        try (Socket s = connectFromClient(published)) {
            s.setSoTimeout(10_000);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip().split(" ")[0];
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), () -> String.join(" ", command) + ": " + out);
    }

    /** {address, port} the server saw, and the client's own port. */
    private String[] seenByServer(boolean transparent, boolean tableTaken) throws Exception {
        final int port = Peers.freePort();
        try (ServerSocket server = inside(() -> {
            linux.bringUp("lo");
            if (tableTaken) {
                try (PolicyRouting routing = PolicyRouting.open()) {
                    routing.addLocalDefaultRoute(false, SourceTransparency.TABLE);
                }
            }
            return new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        })) {
            Peers.daemon(() -> answerWithPeer(server));
            return asClient(() -> {
                try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(90), netns, transparent, log)) {
                    final int published = pair.publish("tcp", "127.0.0.1", port);
                    try (Socket s = connectFromClient(published)) {
                        final String[] peer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)
                                .strip().split(" ");
                        return new String[] {peer[0], peer[1], String.valueOf(s.getLocalPort())};
                    }
                }
            });
        }
    }

    private static Socket connectFromClient(int port) throws IOException {
        final Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByAddress(CLIENT), 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        return s;
    }

    private static void answerWithPeer(ServerSocket server) {
        while (!server.isClosed()) {
            try (Socket c = server.accept()) {
                final InetSocketAddress peer = (InetSocketAddress) c.getRemoteSocketAddress();
                c.getOutputStream().write((peer.getAddress().getHostAddress() + " " + peer.getPort() + "\n")
                        .getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                return;
            }
        }
    }

    private <T> T inside(Callable<T> action) throws Exception {
        return DetachedNetns.inNamespace(linux, netns, "enter the test's namespace", action);
    }

    /** Runs {@code action} in the client's namespace, where the client has 10.9.8.7. */
    private <T> T asClient(Callable<T> action) throws Exception {
        return DetachedNetns.inNamespace(linux, clientNetns, "enter the client's namespace", action);
    }
}
