package dev.rootlessjkit.parent.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.parent.api.ApiServer;
import dev.rootlessjkit.parent.api.FakePortDriverAccess;
import dev.rootlessjkit.parent.api.Info;
import dev.rootlessjkit.parent.api.PortListing;
import dev.rootlessjkit.parent.api.NetworkDriverInfo;
import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * rootlesskit-docker-proxy as Docker runs it: the launcher script of the repository (with the Java step it runs)
 * as a separate process with a pipe on fd 3, against our API server on a real unix socket, with a stand-in
 * {@code docker-proxy} on PATH that records its arguments and PID and reports readiness on its own fd 3 as the
 * real one does.
 */
@Timeout(120)
class DockerProxyTest {
    private static final List<String> ALL = List.of("tcp", "tcp4", "tcp6", "udp", "udp4", "udp6");
    private static final Info BUILTIN = Info.of("test", "/tmp/state", 1,
            new NetworkDriverInfo("slirp4netns", List.of("10.0.2.3"), "10.0.2.100", false),
            new PortDriverInfo("builtin", ALL, false));
    /** RootlessKit's slirp4netns port driver: IPv4 only, and it connects to the namespace's own address. */
    private static final Info SLIRP4NETNS = Info.of("test", "/tmp/state", 1,
            new NetworkDriverInfo("slirp4netns", List.of("10.0.2.3"), "10.0.2.100", false),
            new PortDriverInfo("slirp4netns", List.of("tcp", "tcp4", "udp", "udp4"), true));
    private static final Info NO_PORT_DRIVER = Info.of("test", "/tmp/state", 1,
            new NetworkDriverInfo("pasta", List.of("10.0.2.3"), "10.0.2.100", false), null);
    private static final String[] DOCKER_ARGS = {"-proto", "tcp", "-host-ip", "127.0.0.1", "-host-port", "8080",
        "-container-ip", "172.17.0.2", "-container-port", "80"};

    private static final Path SCRIPT = Path.of("..", "rootlesskit-docker-proxy").toAbsolutePath().normalize();

    @TempDir
    static Path jars;
    @TempDir
    Path dir;
    private ApiServer server;
    private Path fakeBin;

    /**
     * A jar directory for the script ($ROOTLESSJKIT_DIST) made of this test's class path: jars linked, class
     * directories packed (the script's {@code -cp "$dist/*"} takes jars only), and the JDK choice the launchers
     * source from it, as the build puts it there.
     */
    @BeforeAll
    static void distFromClassPath() throws IOException {
        Files.copy(Path.of("src/main/dist/jvm.sh"), jars.resolve("jvm.sh"));
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            final Path path = Path.of(entry);
            final Path target = jars.resolve(n++ + "-" + path.getFileName() + (Files.isDirectory(path) ? ".jar" : ""));
            if (Files.isDirectory(path)) {
                try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(target));
                        Stream<Path> files = Files.walk(path)) {
                    for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                        jar.putNextEntry(new JarEntry(path.relativize(file).toString()));
                        Files.copy(file, jar);
                        jar.closeEntry();
                    }
                }
            } else if (Files.exists(path)) {
                Files.createSymbolicLink(target, path);
            }
        }
    }

    @BeforeEach
    void fakeRealProxy() throws IOException {
        fakeBin = Files.createDirectories(dir.resolve("bin"));
        final Path script = fakeBin.resolve("docker-proxy");
        Files.writeString(script, """
                #!/bin/sh
                echo "$@" > "$FAKE_DIR/args"
                echo $$ > "$FAKE_DIR/pid"
                if [ -n "$FAKE_FAIL" ]; then printf '1\\n%s' "$FAKE_FAIL" >&3; exit 1; fi
                printf '0\\n' >&3
                exec 3>&-
                exec sleep 1000
                """);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void publishesOnLoopbackRunsTheRealProxyAndUnpublishesOnSigint() throws Exception {
        final Process proxy = publishing(BUILTIN, new PortSpec("tcp4", "127.0.0.1", 8080, "127.0.0.1", 8080),
                DOCKER_ARGS);
        assertEquals("-container-ip 172.17.0.2 -container-port 80 -host-ip 127.0.0.1 -host-port 8080 -proto tcp",
                Files.readString(dir.resolve("args")).strip());
        final ProcessHandle real = realProxy();
        assertTrue(real.isAlive());
        // Once published, only the script stays: no JVM per published port.
        assertTrue(proxy.toHandle().children().noneMatch(p -> p.info().command().orElse("").endsWith("/java")),
                () -> "a JVM stays resident: " + proxy.toHandle().children().map(p -> p.info().toString()).toList());

        assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(proxy.pid())).start().waitFor());
        assertEquals(0, exit(proxy), () -> stderr(proxy));
        assertEquals(List.of(), published());
        assertTrue(real.onExit().get(10, TimeUnit.SECONDS) != null && !real.isAlive());
    }

    @Test
    void sigtermUnpublishesToo() throws Exception {
        final Process proxy = publishing(BUILTIN, new PortSpec("udp4", "0.0.0.0", 5353, "127.0.0.1", 5353),
                "-proto", "udp", "-host-ip", "0.0.0.0", "-host-port", "5353", "-container-ip", "172.17.0.2",
                "-container-port", "53");
        final ProcessHandle real = realProxy();
        proxy.destroy();
        assertEquals(0, exit(proxy), () -> stderr(proxy));
        assertEquals(List.of(), published());
        real.onExit().get(10, TimeUnit.SECONDS);
    }

    @Test
    void ipv6HostIpListensOnIpv6LoopbackInside() throws Exception {
        final Process proxy = publishing(BUILTIN, new PortSpec("tcp6", "::", 8443, "::1", 8443), "--proto=tcp",
                "--host-ip=::", "--host-port=8443", "--container-ip=172.17.0.2", "--container-port=443");
        proxy.destroy();
        assertEquals(0, exit(proxy), () -> stderr(proxy));
    }

    @Test
    void driverThatCannotReachLoopbackGetsTheNamespaceAddress() throws Exception {
        final Process proxy = publishing(SLIRP4NETNS, new PortSpec("tcp4", "127.0.0.1", 8080, "10.0.2.100", 8080),
                DOCKER_ARGS);
        assertTrue(Files.readString(dir.resolve("args")).contains("-host-ip 10.0.2.100 "));
        proxy.destroy();
        assertEquals(0, exit(proxy), () -> stderr(proxy));
    }

    @Test
    void protocolTheDriverLacksIsDiscardedWithAWarningAndReportedAsStarted() throws Exception {
        serve(SLIRP4NETNS);
        final Process proxy = proxy(Map.of(), "-proto", "tcp", "-host-ip", "::1", "-host-port", "8080",
                "-container-ip", "fd00::2", "-container-port", "80");
        assertEquals("0\n", readReport(proxy, 100));
        assertEquals(0, exit(proxy));
        assertTrue(stderr(proxy).contains("warning: protocol \"tcp6\" is not supported by the RootlessKit port "
                + "driver \"slirp4netns\", discarding request for \"[::1]:8080\""), () -> stderr(proxy));
        assertEquals(List.of(), published());
        assertFalse(Files.exists(dir.resolve("args")), "the real proxy must not run");
    }

    @Test
    void realProxyMissingIsReportedBeforeAnythingIsPublished() throws Exception {
        serve(BUILTIN);
        final Process proxy = proxy(Map.of("PATH", "/usr/bin:/bin"), DOCKER_ARGS);
        assertEquals("1\nexec: \"docker-proxy\": executable file not found in $PATH", readReport(proxy, 4096));
        assertEquals(1, exit(proxy));
        assertEquals(List.of(), published());
    }

    @Test
    void withoutPortDriverTheRealProxyGetsDockersOwnArguments() throws Exception {
        serve(NO_PORT_DRIVER);
        final Process proxy = proxy(Map.of(), DOCKER_ARGS);
        assertEquals("0\n", readReport(proxy, 2));
        assertEquals(String.join(" ", DOCKER_ARGS), Files.readString(dir.resolve("args")).strip());
        assertEquals(List.of(), published());
        // The script became the real proxy (exec), so Docker's signal reaches it directly.
        assertEquals(proxy.pid(), realProxy().pid());
        proxy.destroy();
        exit(proxy);
    }

    @Test
    void apiRefusalIsReportedOnFd3AndNothingRuns() throws Exception {
        serve(BUILTIN);
        // The fake driver treats port 80 as privileged, as the host would.
        final Process proxy = proxy(Map.of(), "-proto", "tcp", "-host-ip", "127.0.0.1", "-host-port", "80",
                "-container-ip", "172.17.0.2", "-container-port", "80");
        final String report = readReport(proxy, 4096);
        assertTrue(report.startsWith("1\nerror while calling PortManager.AddPort(): "), report);
        assertEquals(1, exit(proxy));
        assertFalse(Files.exists(dir.resolve("args")), "the real proxy must not run");
    }

    @Test
    void realProxyFailureIsPassedOnAndThePortRemoved() throws Exception {
        serve(BUILTIN);
        final Process proxy = proxy(Map.of("FAKE_FAIL", "listen tcp4 127.0.0.1:8080: bind: address already in use"),
                DOCKER_ARGS);
        assertEquals("1\nlisten tcp4 127.0.0.1:8080: bind: address already in use", readReport(proxy, 4096));
        assertEquals(1, exit(proxy));
        assertEquals(List.of(), published());
    }

    @Test
    void missingStateDirIsReportedOnFd3() throws Exception {
        final Process proxy = proxy(Map.of("ROOTLESSKIT_STATE_DIR", ""), DOCKER_ARGS);
        assertEquals("1\n$ROOTLESSKIT_STATE_DIR needs to be set", readReport(proxy, 4096));
        assertEquals(1, exit(proxy));
    }

    @Test
    void flagsParseAsGosFlagPackageDoes() throws CtlException {
        assertEquals(new DockerProxy.Options("172.17.0.2", 80, "::", 8080, "tcp"),
                DockerProxy.parse(new String[] {"--container-ip=172.17.0.2", "-container-port", "80",
                    "-host-ip", "::", "--host-port", "8080"}));
        assertEquals(new DockerProxy.Options("", -1, "", -1, "tcp"), DockerProxy.parse(new String[0]));
        assertEquals("flag provided but not defined: -bogus",
                assertThrows(CtlException.class, () -> DockerProxy.parse(new String[] {"-bogus"})).getMessage());
        assertEquals("invalid value \"x\" for flag -host-port: parse error",
                assertThrows(CtlException.class, () -> DockerProxy.parse(new String[] {"-host-port=x"})).getMessage());
        assertEquals("flag needs an argument: -proto",
                assertThrows(CtlException.class, () -> DockerProxy.parse(new String[] {"-proto"})).getMessage());
    }

    private void serve(Info info) throws IOException {
        server = ApiServer.start(dir.resolve("api.sock"), () -> info, new FakePortDriverAccess().driver(),
                new Log("test", false));
    }

    /** The proxy run with {@code args} against a parent with {@code info}, once it reported success and published. */
    private Process publishing(Info info, PortSpec expected, String... args) throws Exception {
        serve(info);
        final Process proxy = proxy(Map.of(), args);
        assertEquals("0\n", readReport(proxy, 2));
        assertEquals(List.of(expected), published());
        return proxy;
    }

    private List<PortSpec> published() throws CtlException {
        return new ApiClient(new UnixHttpClient(dir.resolve("api.sock"))).listPorts().stream()
                .map(PortListing::spec).toList();
    }

    /** The script, with fd 3 a pipe whose other end is this process's view of its stdout. */
    private Process proxy(Map<String, String> env, String... args) throws IOException {
        final List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", "exec \"$@\" 3>&1 1>&2", "sh",
                SCRIPT.toString()));
        argv.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(argv).redirectError(dir.resolve("stderr").toFile());
        builder.environment().put("ROOTLESSKIT_STATE_DIR", dir.toString());
        builder.environment().put("ROOTLESSJKIT_DIST", jars.toString());
        final Path java = Path.of(System.getProperty("java.home"), "bin");
        builder.environment().put("PATH", fakeBin + ":" + java + ":/usr/bin:/bin");
        builder.environment().put("FAKE_DIR", dir.toString());
        builder.environment().putAll(env);
        return builder.start();
    }

    /** Reads fd 3's report as Docker does: two bytes, and on failure the rest until the pipe closes. */
    private static String readReport(Process proxy, int max) throws IOException {
        final InputStream in = proxy.getInputStream();
        final byte[] head = in.readNBytes(2);
        final String text = new String(head, StandardCharsets.UTF_8);
        return text.equals("0\n") ? text : text + new String(in.readNBytes(max), StandardCharsets.UTF_8);
    }

    private ProcessHandle realProxy() throws IOException {
        return ProcessHandle.of(Long.parseLong(Files.readString(dir.resolve("pid")).strip())).orElseThrow();
    }

    private int exit(Process proxy) throws InterruptedException {
        assertTrue(proxy.waitFor(30, TimeUnit.SECONDS), () -> "the proxy did not exit\n" + stderr(proxy));
        return proxy.exitValue();
    }

    private String stderr(Process proxy) {
        try {
            return Files.readString(dir.resolve("stderr"));
        } catch (IOException e) {
            return "(no stderr: " + e + ")";
        }
    }
}
