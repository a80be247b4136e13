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
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * --source-ip-transparent through both halves of the builtin driver, with nothing shared with the host: the child
 * half dials in a namespace of the test's own ({@code state/netns}, as with --detach-netns), and the parent half
 * listens in another, where the client has 10.9.8.7 (on {@code lo:1}). The server inside answers with the address
 * it sees. Needs root, as the whole build does.
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
    private Log log;

    @BeforeEach
    void start() throws Exception {
        netns = DetachedNetns.create(linux, state);
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        log = new Log("test", true);
    }

    @AfterEach
    void stop() throws Exception {
        System.setErr(stderr);
        stderr.print(captured.toString(StandardCharsets.UTF_8));
        linux.umount(netns.toString(), Linux.MNT_DETACH);
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
                        // Without fwmark_reflect the kernel's RST would not come back: the parent would wait for
                        // the child half's 30 s connect timeout, past this read's.
                        s.setSoTimeout(10_000);
                        assertEquals(-1, s.getInputStream().read());
                    } catch (IOException e) {
                        assertTrue(e.getMessage().contains("reset"), e.toString());
                    }
                }
            }
            return null;
        });
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

    /** Runs {@code action} on a thread in a new namespace of its own, where the client has 10.9.8.7. */
    private <T> T asClient(Callable<T> action) throws Exception {
        final FutureTask<T> task = new FutureTask<>(() -> {
            linux.unshareNetworkOfThisThread();
            linux.bringUp("lo");
            linux.configureIpv4("lo:1", 0, CLIENT, 32);
            return action.call();
        });
        final Thread t = new Thread(task, "client-netns");
        t.start();
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw new AssertionError(e.getCause());
        }
    }
}
