package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code rootlessjctl capture} under --net=usernet: a pcap stream of the namespace's traffic that tcpdump reads,
 * filtered to one port, while a command inside fetches a page from a server of the test's own on the host.
 */
class CaptureIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void tcpdumpReadsTheCapturedConnectionToOnePort() throws IOException {
        final HttpServer http = TestServers.http("captured page");
        final int port = http.getAddress().getPort();
        final Path work = sandbox.workspace().path();
        final Path state = work.resolve("state");
        final Path go = work.resolve("go");
        final Path fetched = work.resolve("fetched");
        final Path pcap = work.resolve("capture.pcap");
        Process capture = null;
        try (Running running = sandbox.rootless().launch("--net=usernet", "--state-dir=" + state, "sh", "-c",
                "while [ ! -e \"$0\" ]; do sleep 0.1; done; curl -sS -m 10 -o \"$1\" http://10.0.2.2:" + port
                        + "/; sleep 100", go.toString(), fetched.toString()).start()) {
            running.await("api.sock", Duration.ofSeconds(60), () -> Files.exists(state.resolve("api.sock")));
            final List<String> command = new ArrayList<>(Host.asUser(sandbox.rootless().user()));
            command.addAll(List.of(PortInstance.rootlessjctl(), "--socket", state.resolve("api.sock").toString(),
                    "capture", "--port", Integer.toString(port)));
            capture = new ProcessBuilder(command).redirectOutput(pcap.toFile())
                    .redirectError(work.resolve("capture.err").toFile()).start();
            running.await("the pcap file header", Duration.ofSeconds(30), () -> size(pcap) >= 24);
            sandbox.workspace().ownerShell("touch go");
            running.await("the page", Duration.ofSeconds(30), () -> size(fetched) > 0);
            // The last ACKs of the close follow the page.
            Host.sleep(Duration.ofSeconds(1));
        } finally {
            if (capture != null) {
                capture.destroy();
                Exec.awaitOrKill(capture, Duration.ofSeconds(10));
            }
            http.stop(0);
        }
        final Result read = Exec.check(List.of("tcpdump", "-nn", "-r", pcap.toString()));
        final String out = read.stdout();
        assertTrue(out.contains("10.0.2.100.") && out.contains(" > 10.0.2.2." + port + ": Flags [S]"),
                "the guest's SYN:\n" + read.describe());
        assertTrue(out.contains("10.0.2.2." + port + " > 10.0.2.100.") && out.contains("Flags [S.]"),
                "the stack's SYN-ACK:\n" + read.describe());
        final Result payload = Exec.check(List.of("tcpdump", "-nn", "-A", "-r", pcap.toString()));
        assertTrue(payload.stdout().contains("GET / HTTP/1.1") && payload.stdout().contains("captured page"),
                "the request and the page:\n" + payload.describe());
        assertTrue(out.lines().allMatch(l -> l.contains("." + port + " ") || l.contains("." + port + ":")),
                "only port " + port + ":\n" + read.describe());
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }
}
