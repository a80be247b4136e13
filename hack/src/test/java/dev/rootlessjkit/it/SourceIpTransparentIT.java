package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code --source-ip-transparent} on the builtin port driver, with a client that is not on loopback: the test makes
 * a network namespace reached over a veth pair (10.213.N.2 inside, 10.213.N.1 on the host), publishes a port on the
 * host's end, and a socat inside the rootless namespace answers with the peer address it sees.
 */
class SourceIpTransparentIT {
    private static final String ECHO_PEER = "socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'";

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void theServerSeesTheClientsAddressWithTheFlagAndLoopbackWithout() throws Exception {
        try (TestNetns client = TestNetns.create()) {
            assertEquals(client.address(), peerSeenThrough(client, "--source-ip-transparent"));
            assertEquals("127.0.0.1", peerSeenThrough(client, "--source-ip-transparent=false"));
        }
    }

    /**
     * A port with nothing listening behind it (or a DNAT rule): the child half dials from its own address, saying so
     * in a debug line, and the client is closed at once.
     */
    @Test
    void aPortWithoutListenerFallsBackAndSaysSo() throws Exception {
        try (TestNetns client = TestNetns.create()) {
            final int port = Ports.freeTcpPort();
            final int empty = Ports.freeTcpPort();
            try (PortInstance instance = PortInstance.with(sandbox)
                    .drivers("--net=none", "--port-driver=builtin", "--debug")
                    .publish(client.hostAddress() + ":" + port + ":8080/tcp")
                    .publish(client.hostAddress() + ":" + empty + ":8081/tcp")
                    .tcpServer(8080, ECHO_PEER)
                    .start()) {
                assertEquals("", connectFrom(client, empty), instance::describe);
                assertTrue(instance.describe().contains("builtin port driver: tcp 127.0.0.1:8081: no listener there "
                        + "(a DNAT rule may take the connection elsewhere, where answers to the client's address cannot"
                        + " come back); dialled from the namespace's own address"), instance::describe);
                // The port next to it still keeps the client's address.
                assertEquals(client.address(), connectFrom(client, port), instance::describe);
                instance.stop();
            }
        }
    }

    /** With --detach-netns the child half dials in {@code $STATE/netns}, where the server runs, and routes there. */
    @Test
    void detachedNetnsKeepsTheClientsAddressToo() throws Exception {
        try (TestNetns client = TestNetns.create()) {
            final int port = Ports.freeTcpPort();
            final Path state = sandbox.workspace().path().resolve("state");
            final Path ready = sandbox.workspace().path().resolve("ready");
            final String inside = ECHO_PEER + " &\n"
                    + "until socat -u OPEN:/dev/null TCP4:127.0.0.1:8080 2>/dev/null; do sleep 0.05; done\n"
                    + "touch " + Shell.quote(ready.toString()) + "\nwait\n";
            final String script = "trap 'exit 0' TERM\n"
                    + "nsenter -n\"$ROOTLESSKIT_STATE_DIR/netns\" sh -c " + Shell.quote(inside) + " &\nwait\n";
            final Running running = sandbox.rootless().launch("--state-dir=" + state, "--detach-netns", "--pidns",
                    "--net=slirp4netns", "--port-driver=builtin", "-p", client.hostAddress() + ":" + port + ":8080/tcp",
                    "sh", "-c", script).start();
            running.awaitFile(ready);
            assertEquals(client.address(), connectFrom(client, port), running::partialOutput);
            running.signal("TERM");
            Expect.exitCode(0, running.waitFor());
        }
    }

    private String peerSeenThrough(TestNetns client, String flag) throws Exception {
        final int port = Ports.freeTcpPort();
        try (PortInstance instance = PortInstance.with(sandbox)
                .drivers("--net=none", "--port-driver=builtin", "--debug", flag)
                .publish(client.hostAddress() + ":" + port + ":8080/tcp")
                .tcpServer(8080, ECHO_PEER)
                .start()) {
            final String seen = connectFrom(client, port);
            instance.stop();
            return seen;
        }
    }

    /** What socat, run in the client's namespace, reads from {@code hostAddress:port} until the server closes. */
    private static String connectFrom(TestNetns client, int port) throws IOException, InterruptedException {
        final Process p = client.start(List.of("socat", "-u", "TCP:" + client.hostAddress() + ":" + port, "-"));
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        Exec.awaitOrKill(p, Duration.ofSeconds(10));
        return out;
    }
}
