package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * --net=usernet (issue 5): our own stack in the parent, on the TAP device the child passed over, exercised with
 * real tools inside the namespace against servers of the test's own on the host's loopback (reached through the
 * gateway 10.0.2.2). What every network driver must do is NetworkDriverConformanceIT's; what every port driver
 * must do is PortDriverConformanceIT's. Nothing leaves the machine.
 */
class UsernetIT {
    private static final int PARALLEL = 20;
    private static final int TRANSFER_BYTES = 100 << 20;
    private static final int BLOB_BYTES = 64 << 20;

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    /**
     * The gateway answers ICMP echo from the stack itself. Interface, route, resolver, TCP, UDP and DNS through the
     * gateway are NetworkDriverConformanceIT's.
     */
    @Test
    void gatewayAnswersPing() {
        final Result result = sandbox.rootless().launch("--net=usernet", "--disable-host-loopback", "sh", "-c",
                "echo ping=$(busybox ping -c 1 -W 5 10.0.2.2 >/dev/null && echo ok)").run();

        Expect.exitCode(0, result);
        assertEquals("ok", result.keyValues().get("ping"), result::describe);
    }

    /** The child creates the TAP device in the namespace at $STATE/netns, not in its own (the host's). */
    @Test
    void detachedNamespaceGetsTheTapDevice() {
        final HttpServer http = TestServers.http("hello through the detached namespace");
        try {
            final Result result = sandbox.rootless().launch("--net=usernet", "--detach-netns", "sh", "-c",
                    "echo here=$(ls /sys/class/net | grep -c tap0); "
                            + "nsenter --net=$ROOTLESSKIT_STATE_DIR/netns sh -c '"
                            + "echo addr=$(ip -o -4 addr show tap0 | cut -d\" \" -f7); "
                            + "echo http=$(curl -sS -m 10 http://10.0.2.2:" + http.getAddress().getPort() + "/)'")
                    .run();

            Expect.exitCode(0, result);
            final Map<String, String> seen = result.keyValues();
            assertEquals("0", seen.get("here"), () -> "tap0 is in the command's namespace\n" + result.describe());
            assertEquals("10.0.2.100/24", seen.get("addr"), result::describe);
            assertEquals("hello through the detached namespace", seen.get("http"), result::describe);
        } finally {
            http.stop(0);
        }
    }

    /** 100 MiB up and 100 MiB down, compared by SHA-256 on both sides. */
    @Test
    void hundredMegabytesEachWayArriveIntact() throws Exception {
        final byte[] download = new byte[TRANSFER_BYTES];
        new Random(5).nextBytes(download);
        final String downloadHash = TestServers.sha256(download);
        try (ServerSocket up = listen(); ServerSocket down = listen()) {
            final CompletableFuture<String> uploaded = CompletableFuture.supplyAsync(
                    () -> TestServers.sha256OfNextUpload(up));
            final CompletableFuture<Void> served = CompletableFuture.runAsync(
                    () -> TestServers.sendToNextClient(down, download));
            final Result result = sandbox.rootless().launch("--net=usernet", "--copy-up=/etc", "sh", "-c",
                    "f=$TMPDIR/upload; head -c " + TRANSFER_BYTES + " /dev/urandom > $f; "
                            + "echo up=$(sha256sum < $f | cut -d' ' -f1); "
                            + "socat -u FILE:$f TCP:10.0.2.2:" + up.getLocalPort() + "; rm -f $f; "
                            + "echo down=$(socat -u TCP:10.0.2.2:" + down.getLocalPort() + " - | sha256sum "
                            + "| cut -d' ' -f1)").timeout(Duration.ofSeconds(60)).run();

            Expect.exitCode(0, result);
            served.get(10, TimeUnit.SECONDS);
            assertEquals(result.keyValues().get("up"), uploaded.get(10, TimeUnit.SECONDS), result::describe);
            assertEquals(downloadHash, result.keyValues().get("down"), result::describe);
        }
    }

    /** Each server side waits until all connections are open before it answers: they are truly concurrent. */
    @Test
    void manyParallelConnections() throws Exception {
        final CountDownLatch allOpen = new CountDownLatch(PARALLEL);
        try (ServerSocket server = listen()) {
            final Thread acceptor = new Thread(() -> {
                for (int i = 0; i < PARALLEL; i++) {
                    try {
                        final Socket s = server.accept();
                        allOpen.countDown();
                        new Thread(() -> answerWhenAllOpen(s, allOpen)).start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            final Result result = sandbox.rootless().launch("--net=usernet", "--copy-up=/etc", "sh", "-c",
                    "for i in $(seq " + PARALLEL + "); do (echo conn$i | socat -t 30 - TCP:10.0.2.2:"
                            + server.getLocalPort() + " > $TMPDIR/c$i) & done; wait; "
                            + "echo answered=$(cat $TMPDIR/c* | grep -c '^CONN')").run();

            Expect.exitCode(0, result);
            assertEquals(Integer.toString(PARALLEL), result.keyValues().get("answered"), result::describe);
        }
    }

    /**
     * Frames written to tap0 through a packet socket (CAP_NET_RAW inside) go straight to the stack; with --debug the
     * stack's counters, which saw them, are the parent's last word.
     */
    @Test
    void garbageFramesDoNotBreakTheNetwork() throws IOException {
        final Path small = sandbox.workspace().path().resolve("garbage-60");
        final Path large = sandbox.workspace().path().resolve("garbage-1514");
        Files.write(small, garbageFrames(60, 3000, new Random(1)));
        Files.write(large, garbageFrames(1514, 3000, new Random(2)));
        final HttpServer http = TestServers.http("still here");
        try {
            final Result result = sandbox.rootless().launch("--net=usernet", "--copy-up=/etc", "--debug", "sh", "-c",
                    "socat -u -b 60 OPEN:" + small + " INTERFACE:tap0 && socat -u -b 1514 OPEN:" + large
                            + " INTERFACE:tap0 && echo flooded=yes; "
                            + "echo http=$(curl -sS -m 10 http://10.0.2.2:" + http.getAddress().getPort() + "/)")
                    .run();

            Expect.exitCode(0, result);
            assertEquals("yes", result.keyValues().get("flooded"), result::describe);
            assertEquals("still here", result.keyValues().get("http"), result::describe);
            assertTrue(result.stderr().lines().anyMatch(l -> l.matches(".*debug: \\+\\d+ms usernet counters:.* "
                    + "frames_in=\\d{4,}\\b.*")), () -> "no counters line with thousands of frames in\n"
                    + result.describe());
        } finally {
            http.stop(0);
        }
    }

    @Test
    void builtinPortDriverPublishesOverUsernet() throws IOException {
        final int port = Ports.freeTcpPort();
        final Path www = sandbox.workspace().mkdir("www");
        sandbox.workspace().ownerShell("echo published over usernet > www/index.html");
        try (Running running = sandbox.rootless().launch("--net=usernet", "--port-driver=builtin",
                "--disable-host-loopback", "--copy-up=/etc", "-p", "127.0.0.1:" + port + ":80/tcp",
                "busybox", "httpd", "-f", "-p", "80", "-h", www.toString()).start()) {
            assertEquals("published over usernet", TestServers.fetchWithin(Duration.ofSeconds(20),
                    "http://127.0.0.1:" + port + "/", running).strip());
        }
    }

    @Test
    void killingTheLauncherLeavesNothingRunning() {
        final Path ready = sandbox.workspace().path().resolve("ready");
        try (Running running = sandbox.rootless().launch("--net=usernet", "--disable-host-loopback", "sh", "-c",
                "echo $$ > \"$0\" && exec sleep 100", ready.toString()).start()) {
            running.awaitPid(ready);
            final List<ProcessHandle> processes = new ArrayList<>(running.tree());
            processes.add(running.launcherHandle());

            running.signal("KILL");

            Expect.allGone(processes, Duration.ofSeconds(10), running.partialOutput());
        }
    }

    /**
     * Frames of one size addressed to everyone: a third random bytes, a third IPv4 (header checks, lengths,
     * fragments, options all at random), a third IPv4 claiming TCP or UDP to the gateway.
     */
    /**
     * --port-driver=usernet: the stack opens published connections into the namespace itself, so the server inside
     * sees the client's address; a loopback client is the gateway there. A port with nothing behind it is closed
     * at once (the guest's RST), and 64 MiB cross each way intact.
     */
    @Test
    void usernetPortDriverShowsTheClientAddressAndCarriesData() throws Exception {
        final int[] ports = Ports.freeTcpPorts(4);
        final int udpPort = Ports.freeUdpPort();
        final Path dir = sandbox.workspace().path();
        final String blob = Shell.quote(dir.resolve("blob").toString());
        final Path blobHash = dir.resolve("blob.sha");
        final Path uploadHash = dir.resolve("upload.sha");
        try (PortInstance instance = PortInstance.with(sandbox)
                .drivers("--net=usernet", "--port-driver=usernet")
                .publish("127.0.0.1:" + ports[0] + ":8080/tcp")
                .publish("127.0.0.1:" + ports[1] + ":8081/tcp")
                .publish("127.0.0.1:" + ports[2] + ":8082/tcp")
                .publish("127.0.0.1:" + ports[3] + ":8083/tcp")
                .publish("127.0.0.1:" + udpPort + ":8084/udp")
                .first("head -c " + BLOB_BYTES + " /dev/urandom > " + blob + " && sha256sum < " + blob
                        + " | cut -d' ' -f1 > " + Shell.quote(blobHash.toString()))
                .tcpServer(8080, "socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'")
                // Inside socat's single quotes: the workspace path has no characters that need quoting.
                .tcpServer(8081, "socat -U TCP-LISTEN:8081,fork,reuseaddr SYSTEM:'cat " + dir.resolve("blob") + "'")
                .tcpServer(8082, "socat -u TCP-LISTEN:8082,fork,reuseaddr SYSTEM:'sha256sum > " + uploadHash + "'")
                .udpServer("socat UDP-LISTEN:8084,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'")
                .start()) {

            try (Socket s = Ports.connect(Ports.V4, ports[0])) {
                final String seen = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
                assertEquals("10.0.2.2", seen, instance::describe);
            }

            try (Socket s = Ports.connect(Ports.V4, ports[1]); InputStream in = s.getInputStream()) {
                final MessageDigest digest = MessageDigest.getInstance("SHA-256");
                final byte[] buffer = new byte[1 << 16];
                long total = 0;
                for (int n; (n = in.read(buffer)) > 0; total += n) {
                    digest.update(buffer, 0, n);
                }
                assertEquals(BLOB_BYTES, total, instance::describe);
                assertEquals(Files.readString(blobHash).strip(), HexFormat.of().formatHex(digest.digest()),
                        instance::describe);
            }

            final byte[] upload = new byte[BLOB_BYTES];
            new Random(7).nextBytes(upload);
            try (Socket s = Ports.connect(Ports.V4, ports[2])) {
                s.getOutputStream().write(upload);
                s.shutdownOutput();
                assertEquals(-1, s.getInputStream().read(), instance::describe);
            }
            final String expected = TestServers.sha256(upload);
            final Instant deadline = Instant.now().plusSeconds(20);
            // The readiness probe's empty connection wrote a hash too; ours replaces it once sha256sum is done.
            while (!firstWord(uploadHash).equals(expected) && Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
            assertEquals(expected, firstWord(uploadHash), instance::describe);

            try (DatagramSocket udp = new DatagramSocket()) {
                udp.connect(Ports.V4, udpPort);
                assertEquals("10.0.2.2", firstUdpReply(udp, instance), instance::describe);
            }

            // Nothing listens on 8083 inside: the guest's RST resets the client, often before connect() returns.
            try (Socket s = Ports.connect(Ports.V4, ports[3])) {
                Ports.assertClosedByPeer(s, instance::describe);
            } catch (SocketException e) {
                assertTrue(e.getMessage().contains("reset"), () -> e + "\n" + instance.describe());
            }
            instance.stop();
        }
    }

    /** The server's answer to a datagram, sent again until it is up. */
    private static String firstUdpReply(DatagramSocket socket, PortInstance instance) throws IOException {
        socket.setSoTimeout(500);
        final byte[] ping = "ping\n".getBytes(StandardCharsets.US_ASCII);
        for (int attempt = 0; attempt < 40; attempt++) {
            socket.send(new DatagramPacket(ping, ping.length));
            final DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
            try {
                socket.receive(reply);
                return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII).strip();
            } catch (SocketTimeoutException e) {
                // not up yet: send again
            }
        }
        throw new AssertionError("no UDP reply after 40 attempts\n" + instance.describe());
    }

    private static String firstWord(Path file) throws IOException {
        final String text = Files.exists(file) ? Files.readString(file).strip() : "";
        final int space = text.indexOf(' ');
        return space < 0 ? text : text.substring(0, space);
    }

    private static byte[] garbageFrames(int size, int count, Random random) {
        final byte[] all = new byte[size * count];
        random.nextBytes(all);
        for (int i = 0; i < count; i++) {
            final int at = i * size;
            for (int b = 0; b < 6; b++) {
                all[at + b] = (byte) 0xff;
            }
            if (i % 3 == 0) {
                continue;
            }
            all[at + 12] = 0x08;
            all[at + 13] = 0x00;
            if (size < 34) {
                continue;
            }
            all[at + 14] = (byte) (0x40 | (i % 2 == 0 ? 5 : random.nextInt(16)));
            if (i % 3 == 2) {
                all[at + 23] = (byte) (random.nextBoolean() ? 6 : 17);
                final byte[] gateway = {10, 0, 2, 2};
                System.arraycopy(gateway, 0, all, at + 30, 4);
            }
        }
        return all;
    }

    private static void answerWhenAllOpen(Socket s, CountDownLatch allOpen) {
        try (s) {
            final String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            if (allOpen.await(30, TimeUnit.SECONDS) && line != null) {
                s.getOutputStream().write((line.toUpperCase() + "\n").getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException | InterruptedException e) {
            // The script sees no answer and the test fails there.
        }
    }

    private static ServerSocket listen() throws IOException {
        final ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), PARALLEL);
        return server;
    }
}
