package dev.rootlessjkit.it;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RootlessKit's hack/integration-port.sh, for rootlessjkit: start with {@code -p} and a server as the command, and
 * one request one second later is served. Scripts written for RootlessKit wait that long and no longer, so a
 * published port that needs more is a broken drop-in (this once failed on a loaded machine). No other timing is
 * asserted here: hack/benchmark-startup.sh measures how soon the port answers.
 */
class PublishedPortStartIT {

    private static final String PAGE = "served one second after the start\n";
    /** integration-port.sh's own grace period. */
    private static final Duration GRACE = Duration.ofSeconds(1);

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    static Stream<Arguments> drivers() {
        return Stream.of(Arguments.of("--net=slirp4netns", "--port-driver=builtin"),
                Arguments.of("--net=usernet", "--port-driver=usernet"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("drivers")
    void aRequestOneSecondAfterTheStartIsServed(String net, String portDriver) {
        final int port = Ports.freeTcpPort();
        final Workspace workspace = sandbox.workspace();
        workspace.ownerShell("mkdir -p www && printf %s " + Shell.quote(PAGE) + " > www/index.html");
        final String www = workspace.path().resolve("www").toString();
        try (Running running = sandbox.rootless().launch(net, portDriver, "-p", "127.0.0.1:" + port + ":80/tcp",
                "busybox", "httpd", "-f", "-p", "80", "-h", www).start()) {
            running.launcherHandle();
            Host.sleep(GRACE);
            Ports.assertServes(PAGE, Ports.V4, port, running::partialOutput);
        }
    }
}
