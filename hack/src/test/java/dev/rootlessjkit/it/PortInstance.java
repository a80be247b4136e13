package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One launcher run with {@code --net=none --port-driver=builtin --pidns} (or other drivers) and servers inside its network namespace,
 * for the port forwarding and API tests. The command starts the servers, waits until each TCP one accepts
 * connections, records its state dir and touches a ready marker, then waits; it exits 0 on SIGTERM. {@link #stop()}
 * ends the run as a user would (SIGTERM to the launcher) and checks that nothing is left: no state dir, no listener.
 */
final class PortInstance implements AutoCloseable {

    private static final Pattern SPEC = Pattern.compile("^(\\[[^\\]]*\\]|[^:\\[]*):(\\d+):.*/(tcp|udp)[46]?$");

    private final Workspace workspace;
    private final Rootless rootless;
    private final Running running;
    private final List<String> publish;
    private final Path stateDir;

    private PortInstance(Workspace workspace, Rootless rootless, Running running, List<String> publish,
            Path stateDir) {
        this.workspace = workspace;
        this.rootless = rootless;
        this.running = running;
        this.publish = publish;
        this.stateDir = stateDir;
    }

    static Builder with(Sandbox sandbox) {
        return new Builder(sandbox);
    }

    /** Our client, from the same checkout as the launcher. */
    static String rootlessjctl() {
        final String repo = System.getProperty("rootlessjkit.repo");
        if (repo == null) {
            throw new IllegalStateException("system property rootlessjkit.repo is not set: run the integration "
                    + "tests through Maven");
        }
        return Path.of(repo).toAbsolutePath().normalize().resolve("rootlessjctl").toString();
    }

    Running running() {
        return running;
    }

    Path stateDir() {
        return stateDir;
    }

    Path apiSocket() {
        return stateDir.resolve("api.sock");
    }

    /** An API client ({@code rootlessctl} or {@link #rootlessjctl()}) run as the user against this run's api.sock. */
    Result ctl(String client, String... args) {
        final List<String> argv = new ArrayList<>(List.of(client, "--socket", apiSocket().toString()));
        argv.addAll(List.of(args));
        return rootless.program(argv).run();
    }

    /** The parent JVM: the launcher script execs it, so it keeps the launcher's PID. */
    long parentPid() {
        return running.pid();
    }

    String describe() {
        return running.partialOutput();
    }

    /** SIGTERM to the launcher: the command exits 0, and the state dir and every published port are gone. */
    Result stop() {
        running.signal("TERM");
        final Result result = running.waitFor();
        Expect.exitCode(0, result);
        assertFalse(Files.exists(stateDir), () -> "state dir " + stateDir + " is left\n" + result.describe());
        Expect.emptyDir(workspace.tmpdir(), result);
        for (final String spec : publish) {
            assertNotListening(spec, result);
        }
        return result;
    }

    @Override
    public void close() {
        running.close();
    }

    private static void assertNotListening(String spec, Result result) {
        final Matcher m = SPEC.matcher(spec);
        if (!m.matches()) {
            throw new IllegalArgumentException("the tests publish only IP:PORT:...:PORT/PROTO specs, not " + spec);
        }
        final String ip = m.group(1).replace("[", "").replace("]", "");
        final InetAddress address = ip.isEmpty() || ip.equals("0.0.0.0") ? Ports.V4
                : ip.equals("::") ? Ports.V6 : literal(ip);
        final int port = Integer.parseInt(m.group(2));
        if (m.group(3).equals("tcp")) {
            Ports.assertRefused(address, port, () -> "after the run ended\n" + result.describe());
        } else {
            // Nothing tells a UDP client that nobody listens; binding the port ourselves does.
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address, port))) {
                socket.getLocalPort();
            } catch (SocketException e) {
                throw new AssertionError("UDP " + spec + " is still bound after the run ended: " + e + "\n"
                        + result.describe(), e);
            }
        }
    }

    private static InetAddress literal(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final class Builder {
        private final Sandbox sandbox;
        private final List<String> publish = new ArrayList<>();
        private final List<String> servers = new ArrayList<>();
        private final List<Integer> tcpPorts = new ArrayList<>();
        private final List<Integer> udpPorts = new ArrayList<>();
        private String first = "";
        private List<String> drivers = List.of("--net=none", "--port-driver=builtin");

        private Builder(Sandbox sandbox) {
            this.sandbox = sandbox;
        }

        /** The network and port driver flags, instead of {@code --net=none --port-driver=builtin}. */
        Builder drivers(String... flags) {
            drivers = List.of(flags);
            return this;
        }

        Builder publish(String spec) {
            publish.add(spec);
            return this;
        }

        /** A TCP server inside, listening on 127.0.0.1 (and maybe ::1) port {@code port}. */
        Builder tcpServer(int port, String command) {
            servers.add(command);
            tcpPorts.add(port);
            return this;
        }

        /** A server that cannot be probed (UDP): the test retries its first exchange instead. */
        Builder udpServer(String command) {
            servers.add(command);
            return this;
        }

        /** A UDP server inside on port {@code port}: ready once a socket is bound to it (ss shows it). */
        Builder udpServer(int port, String command) {
            servers.add(command);
            udpPorts.add(port);
            return this;
        }

        /** Shell commands the command runs first, before any server starts. */
        Builder first(String script) {
            first = script;
            return this;
        }

        PortInstance start() {
            final Workspace workspace = sandbox.workspace();
            final Path ready = workspace.path().resolve("ready");
            final Path stateFile = workspace.path().resolve("state-dir");
            final StringBuilder script = new StringBuilder()
                    .append("trap 'exit 0' TERM\n")
                    .append("echo \"$ROOTLESSKIT_STATE_DIR\" > ").append(Shell.quote(stateFile.toString()))
                    .append('\n').append(first).append('\n');
            for (final String server : servers) {
                script.append(server).append(" &\n");
            }
            if (!tcpPorts.isEmpty()) {
                script.append("for port in ").append(tcpPorts.stream().map(String::valueOf)
                                .collect(Collectors.joining(" ")))
                        .append("; do until socat -u OPEN:/dev/null TCP4:127.0.0.1:$port 2>/dev/null;")
                        .append(" do sleep 0.05; done; done\n");
            }
            for (final int port : udpPorts) {
                script.append("until ss -Hlun 'sport = :").append(port).append("' | grep -q .; do sleep 0.02; done\n");
            }
            script.append("touch ").append(Shell.quote(ready.toString())).append('\n')
                    .append("wait\necho 'the servers ended' >&2\nexit 3\n");
            final List<String> args = new ArrayList<>(drivers);
            args.add("--pidns");
            publish.forEach(spec -> args.addAll(List.of("-p", spec)));
            args.addAll(List.of("sh", "-c", script.toString()));
            try {
                Files.deleteIfExists(ready); // left by an earlier run of the same test
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            final Running running = sandbox.rootless().launch(args.toArray(String[]::new)).start();
            running.awaitFile(ready);
            final Path stateDir = Path.of(Exec.read(stateFile).strip());
            return new PortInstance(workspace, sandbox.rootless(), running, List.copyOf(publish), stateDir);
        }
    }
}
