package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code --detach-netns}, as current Docker's dockerd-rootless.sh runs it by default: the command stays in the
 * host's network namespace and its servers run in the one at {@code $STATE/netns}. Published ports must reach
 * those servers. The first test follows RootlessKit's own hack/benchmark-iperf3-port.sh (server under
 * {@code nsenter -n$STATE/netns}, ports added with Debian's {@code rootlessctl add-ports} using the same port
 * number on both sides, iperf3 traffic); the second uses moby's flag set with {@code -p}.
 */
class DetachNetnsIT {
    private static final Pattern RECEIVED = Pattern.compile("\"sum_received\":\\s*\\{[^}]*?\"bytes\":\\s*(\\d+)");

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @ParameterizedTest(name = "--net={0} --port-driver={1}")
    @CsvSource({"slirp4netns, builtin", "slirp4netns, slirp4netns", "usernet, builtin", "usernet, usernet"})
    void rootlessKitsBenchmarkSequence(String net, String portDriver) throws Exception {
        final int[] ports = Ports.freeTcpPorts(3);
        final int iperf = ports[0];
        final int sha = ports[1];
        final int nothing = ports[2];
        final Path state = sandbox.workspace().path().resolve("state");
        final Running running = startInNetns(state, List.of("--net=" + net, "--mtu=65520",
                "--port-driver=" + portDriver), List.of(),
                List.of("iperf3 -s -p " + iperf, "socat TCP-LISTEN:" + sha + ",reuseaddr,fork EXEC:sha256sum"),
                List.of(iperf, sha));
        for (int port : ports) {
            final Result added = rootlessctl(state, "add-ports", "127.0.0.1:" + port + ":" + port + "/tcp");
            Expect.exitCode(0, added);
        }
        final Result listed = rootlessctl(state, "list-ports");
        Expect.exitCode(0, listed);

        final Result client = sandbox.rootless().program(List.of("iperf3", "-c", "127.0.0.1", "-p",
                String.valueOf(iperf), "-t", "2", "-J")).run();
        Expect.exitCode(0, client);
        final Matcher m = RECEIVED.matcher(client.stdout());
        assertTrue(m.find() && Long.parseLong(m.group(1)) > 0, () -> "iperf3 moved nothing\n" + client.describe()
                + "\n" + running.partialOutput());

        assertChecksummed(sha, 64 << 20, running);

        // Nothing listens on this one inside: each connection fails alone, and the parent keeps its fds.
        final int before = Ports.fdCount(running.pid());
        for (int i = 0; i < 100; i++) {
            try (Socket s = Ports.connect(Ports.V4, nothing)) {
                Ports.assertClosedByPeer(s, running::partialOutput);
            } catch (IOException e) {
                // refused outright: fine too
            }
        }
        Thread.sleep(500);
        final int after = Ports.fdCount(running.pid());
        assertTrue(after <= before + 5, () -> "parent fds " + before + " -> " + after + "\n" + running.partialOutput());
        stop(running);
    }

    /** moby's contrib/dockerd-rootless.sh flags, with TCP and UDP published by -p and served in $STATE/netns. */
    @Test
    void dockerdRootlessFlagSet() throws Exception {
        final int tcp = Ports.freeTcpPort();
        final int udp = Ports.freeUdpPort();
        final Path state = sandbox.workspace().path().resolve("state");
        final Running running = startInNetns(state, List.of("--net=slirp4netns", "--mtu=65520",
                        "--slirp4netns-sandbox=auto", "--slirp4netns-seccomp=auto", "--disable-host-loopback",
                        "--port-driver=builtin", "--copy-up=/etc", "--copy-up=/run", "--propagation=rslave"),
                List.of("-p", "127.0.0.1:" + tcp + ":80/tcp", "-p", "127.0.0.1:" + udp + ":53/udp"),
                List.of("socat TCP-LISTEN:80,reuseaddr,fork EXEC:sha256sum", "socat UDP-LISTEN:53,fork,reuseaddr PIPE"),
                List.of(80));
        assertChecksummed(tcp, 8 << 20, running);
        try (DatagramSocket c = new DatagramSocket()) {
            c.connect(new InetSocketAddress(Ports.V4, udp));
            c.setSoTimeout(1000);
            final byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
            String got = null;
            for (int i = 0; i < 10 && got == null; i++) {
                c.send(new DatagramPacket(ping, ping.length));
                final DatagramPacket r = new DatagramPacket(new byte[100], 100);
                try {
                    c.receive(r);
                    got = new String(r.getData(), 0, r.getLength(), StandardCharsets.US_ASCII);
                } catch (SocketTimeoutException e) {
                    // the UDP server may not be bound yet: it cannot be probed
                }
            }
            assertEquals("ping", got, running::partialOutput);
        }
        stop(running);
    }

    /**
     * Starts the launcher with --detach-netns and a command that runs {@code servers} under
     * {@code nsenter -n$STATE/netns}, waits until the TCP ones accept inside, and touches a ready marker.
     */
    private Running startInNetns(Path state, List<String> flags, List<String> publish, List<String> servers,
            List<Integer> tcpPorts) {
        final Path ready = sandbox.workspace().path().resolve("ready");
        final String inside = servers.stream().map(s -> s + " &").collect(Collectors.joining("\n")) + "\n"
                + "for port in " + tcpPorts.stream().map(String::valueOf).collect(Collectors.joining(" "))
                + "; do until socat -u OPEN:/dev/null TCP4:127.0.0.1:$port 2>/dev/null; do sleep 0.05; done; done\n"
                + "touch " + Shell.quote(ready.toString()) + "\nwait\n";
        final String script = "trap 'exit 0' TERM\n"
                + "nsenter -n\"$ROOTLESSKIT_STATE_DIR/netns\" sh -c " + Shell.quote(inside) + " &\nwait\n";
        final List<String> args = new ArrayList<>(List.of("--state-dir=" + state, "--detach-netns", "--pidns"));
        args.addAll(flags);
        args.addAll(publish);
        args.addAll(List.of("sh", "-c", script));
        final Running running = sandbox.rootless().launch(args.toArray(String[]::new)).start();
        running.awaitFile(ready);
        return running;
    }

    private Result rootlessctl(Path state, String... args) {
        final List<String> argv = new ArrayList<>(List.of("rootlessctl", "--socket", state.resolve("api.sock")
                .toString()));
        argv.addAll(List.of(args));
        return sandbox.rootless().program(argv).run();
    }

    /** Sends {@code size} random bytes, half-closes, and expects their SHA-256 from sha256sum inside. */
    private static void assertChecksummed(int port, int size, Running running) throws Exception {
        final byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        try (Socket s = Ports.connect(Ports.V4, port)) {
            s.setSoTimeout(60_000);
            final AtomicReference<IOException> writeError = new AtomicReference<>();
            final Thread writer = new Thread(() -> {
                try {
                    final OutputStream out = s.getOutputStream();
                    out.write(data);
                    s.shutdownOutput();
                } catch (IOException e) {
                    writeError.set(e);
                }
            });
            writer.start();
            final InputStream in = s.getInputStream();
            final String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
            writer.join();
            assertEquals(null, writeError.get(), running::partialOutput);
            assertEquals(sha256(data) + "  -", answer, running::partialOutput);
        }
    }

    private static String sha256(byte[] data) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static void stop(Running running) {
        running.signal("TERM");
        final Result result = running.waitFor();
        Expect.exitCode(0, result);
    }
}
