package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * In the style of RootlessKit's hack/integration-port.sh: start with {@code -p} and busybox httpd inside, and make a
 * request one second after the launch. The parent binds the published port before the child is up, so the
 * connection made then is never refused, however loaded the machine: it waits in the listener's backlog. If the
 * server inside was not listening yet when the driver served that connection, the request is repeated (each new
 * connection must not be refused either) until the page comes.
 */
class PublishedPortStartIT {
    private static final Duration GRACE = Duration.ofSeconds(1);
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final byte[] REQUEST = "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final String PAGE = "published from the start";

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--net=slirp4netns --port-driver=builtin", "--net=usernet --port-driver=usernet"})
    void aRequestOneSecondAfterTheLaunchIsAnswered(String drivers) throws IOException, InterruptedException {
        final int port = Ports.freeTcpPort();
        final Path www = sandbox.workspace().mkdir("www");
        sandbox.workspace().ownerShell("echo " + Shell.quote(PAGE) + " > www/index.html");
        final List<String> args = new ArrayList<>(List.of(drivers.split(" ")));
        args.addAll(List.of("--disable-host-loopback", "--copy-up=/etc", "--pidns",
                "-p", "127.0.0.1:" + port + ":80/tcp", "busybox", "httpd", "-f", "-p", "80", "-h", www.toString()));
        final long launched = System.nanoTime();
        try (Running running = sandbox.rootless().launch(args.toArray(String[]::new)).start()) {
            Thread.sleep(GRACE.toMillis());
            final List<String> attempts = new ArrayList<>();
            String response = "";
            while (!response.contains(PAGE)) {
                final long sinceLaunch = Duration.ofNanos(System.nanoTime() - launched).toMillis();
                if (sinceLaunch > DEADLINE.toMillis()) {
                    fail("no page " + DEADLINE.toSeconds() + " s after the launch; attempts: " + attempts + "\n"
                            + running.partialOutput());
                }
                response = request(port, sinceLaunch, running);
                attempts.add(sinceLaunch + " ms: " + (response.isEmpty() ? "closed without an answer"
                        : response.lines().findFirst().orElse("")));
                if (!response.contains(PAGE)) {
                    Thread.sleep(50);
                }
            }
            final String page = response;
            // busybox httpd answers an HTTP/1.0 request as HTTP/1.1.
            assertTrue(page.matches("(?s)HTTP/1\\.[01] 200 .*"), () -> page + "\n" + attempts);
            running.signal("TERM");
            running.waitFor();
        }
    }

    /** One request; what came back (empty when the connection was closed or reset without an answer). */
    private static String request(int port, long sinceLaunch, Running running) throws IOException {
        try (Socket socket = new Socket()) {
            try {
                socket.connect(new InetSocketAddress(Ports.V4, port), Ports.READ_TIMEOUT_MS);
            } catch (ConnectException e) {
                fail("127.0.0.1:" + port + " refused a connection " + sinceLaunch + " ms after the launch: the "
                        + "published port is not listening yet (" + e.getMessage() + ")\n" + running.partialOutput());
            }
            socket.setSoTimeout(Ports.READ_TIMEOUT_MS);
            try {
                socket.getOutputStream().write(REQUEST);
                return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                // Reset: the driver served the connection before the server inside listened.
                return "";
            }
        }
    }
}
