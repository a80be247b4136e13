package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The headline use (issue 6): Debian's docker.io 20.10 run rootless by its own dockerd-rootless.sh, with the
 * launcher in RootlessKit's place. dockerd reports rootless, runs a container from an image imported from the
 * host's static busybox (never a registry), publishes a container port on the host's loopback through our
 * rootlesskit-docker-proxy (nothing of the rootlesskit package is in dockerd's PATH) and our API, unpublishes it on
 * `docker rm -f`, and stops cleanly on SIGTERM to the launcher, leaving no process, mount, port or state directory
 * behind.
 */
class DockerIT {

    private static final Duration START_LIMIT = Duration.ofSeconds(90);
    private static final String PAGE = "served from a rootless container";

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    /**
     * slirp4netns with MTU 65520 is what the script picks when DOCKERD_ROOTLESS_ROOTLESSKIT_NET is unset; usernet
     * is our own stack, publishing through the builtin port driver (the usernet port driver is not there yet).
     */
    @ParameterizedTest(name = "--net={0} --mtu={1} --port-driver={2}")
    @CsvSource({"slirp4netns, 65520, builtin", "usernet, 65520, builtin", "usernet, 65520, usernet"})
    void dockerdRunsRootlessPublishesPortsAndStopsCleanly(String net, int mtu, String portDriver) throws IOException {
        // As on a host where rootful Docker and containerd ran: the script's `rm -f /run/docker /run/containerd`
        // must remove copy-up's symlinks, not fail on real directories.
        try (HostDirectories rootful = HostDirectories.ensure(Path.of("/run/docker"), Path.of("/run/containerd"));
                RootlessDockerd dockerd = RootlessDockerd.start(sandbox.rootless(), net, mtu, portDriver)) {
            dockerd.awaitReady(START_LIMIT);
            final Path stateDir = dockerd.stateDir();

            final Result info = dockerd.dockerOk("info", "--format", "{{json .SecurityOptions}}");
            Expect.contains("name=rootless", info.stdout(), info);

            final String image = dockerd.importBusybox("rjit-busybox:1", PAGE);
            final Result hello = dockerd.dockerOk("run", "--rm", image, "echo", "hello");
            assertEquals("hello", hello.stdout().strip(), hello::describe);

            final int port = freePort();
            dockerd.dockerOk("run", "-d", "--name", "web", "-p", "127.0.0.1:" + port + ":80", image,
                    "httpd", "-f", "-p", "80", "-h", "/www");
            assertEquals(PAGE, TestServers.fetchWithin(Duration.ofSeconds(30),
                    "http://127.0.0.1:" + port + "/", dockerd.running()).strip());
            final Result published = dockerd.listPorts(stateDir);
            Expect.exitCode(0, published);
            Expect.contains("\"parentIP\":\"127.0.0.1\",\"parentPort\":" + port + ",", published.stdout(), published);
            // dockerd ran our proxy (the script beside the launcher, which stays without a JVM), and it runs
            // Docker's real docker-proxy; Debian's rootlesskit-docker-proxy is nowhere.
            final List<String> proxies = dockerd.proxiesFor(stateDir, port);
            final String ours = "/bin/sh " + dockerd.binDir().resolve("rootlesskit-docker-proxy") + " ";
            assertTrue(proxies.stream().anyMatch(p -> p.startsWith(ours)),
                    () -> "our rootlesskit-docker-proxy is not serving port " + port + ": " + proxies);
            assertTrue(proxies.stream().anyMatch(p -> p.split(" ")[0].replaceAll(".*/", "").equals("docker-proxy")),
                    () -> "the real docker-proxy is not serving port " + port + ": " + proxies);
            assertTrue(proxies.stream().noneMatch(p -> p.startsWith(RootlessDockerd.DEBIAN_PROXY)
                    || p.contains("java ")), () -> "another proxy, or a JVM, serves port " + port + ": " + proxies);
            dockerd.dockerOk("rm", "-f", "web");
            dockerd.running().await("port " + port + " to leave the API", Duration.ofSeconds(30),
                    () -> !dockerd.listPorts(stateDir).stdout().contains("\"parentPort\":" + port + ","));
            dockerd.running().await("the listener on port " + port + " to close", Duration.ofSeconds(30),
                    () -> !accepts(port));
            dockerd.running().await("the proxies of port " + port + " to exit", Duration.ofSeconds(30),
                    () -> dockerd.proxiesFor(stateDir, port).isEmpty());

            // Stop with a container still running and publishing: dockerd stops it (after its 1 s stop timeout).
            final int lastPort = freePort();
            dockerd.dockerOk("run", "-d", "--stop-timeout", "1", "-p", "127.0.0.1:" + lastPort + ":80", image,
                    "httpd", "-f", "-p", "80", "-h", "/www");
            assertEquals(PAGE, TestServers.fetchWithin(Duration.ofSeconds(30),
                    "http://127.0.0.1:" + lastPort + "/", dockerd.running()).strip());
            final Path userNamespace = dockerd.userNamespace(stateDir);
            final Set<ProcessHandle> processes = dockerd.processes(stateDir);
            // busybox httpd shows as "/bin/busybox -f -p 80 -h /www" (the executable, then the arguments).
            assertTrue(processes.stream().anyMatch(p -> p.info().commandLine().orElse("").endsWith("-h /www")),
                    () -> "the container's httpd is not among the run's processes:" + Expect.describe(processes));

            dockerd.running().signal("TERM");

            final Result stopped = dockerd.running().waitFor();
            Expect.exitCode(0, stopped);
            Expect.contains("Daemon shutdown complete", stopped.stderr(), stopped);
            Expect.allGone(processes, Duration.ofSeconds(30), stopped.describe());
            assertEquals(List.of(), RootlessDockerd.inNamespace(userNamespace),
                    () -> "processes left in dockerd's user namespace\n" + stopped.describe());
            assertFalse(accepts(lastPort), () -> "port " + lastPort + " still accepts\n" + stopped.describe());
            assertFalse(Files.exists(stateDir), () -> "state dir " + stateDir + " left behind\n" + stopped.describe());
            assertEquals(List.of(), mountsUnder(sandbox.workspace().path()),
                    () -> "mounts left behind\n" + stopped.describe());
        }
    }

    /** Directories made for the test where there were none, and removed again (those that existed stay). */
    private record HostDirectories(List<Path> made) implements AutoCloseable {
        static HostDirectories ensure(Path... dirs) throws IOException {
            assertTrue(Host.isRoot(), "needs root to make directories in /run: run the suite as hack/test.sh does");
            final List<Path> made = new ArrayList<>();
            for (Path dir : dirs) {
                if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(dir);
                    made.add(dir);
                }
                assertTrue(Files.isDirectory(dir), dir + " is not a directory");
            }
            return new HostDirectories(made);
        }

        @Override
        public void close() throws IOException {
            for (Path dir : made) {
                Files.deleteIfExists(dir);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Mount points on the host under {@code dir}: the run's mounts must all stay inside its own namespace. */
    private static List<String> mountsUnder(Path dir) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(line -> line.split(" ")[4])
                .filter(mountPoint -> mountPoint.startsWith(dir.toString())).toList();
    }
}
