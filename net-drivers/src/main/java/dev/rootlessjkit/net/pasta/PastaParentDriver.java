package dev.rootlessjkit.net.pasta;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.Background;
import dev.rootlessjkit.net.HelperProcess;
import dev.rootlessjkit.net.Ipv4Network;
import dev.rootlessjkit.net.NetworkOptions;
import dev.rootlessjkit.net.Programs;
import dev.rootlessjkit.net.api.NetworkContext;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.api.ParentNetworkDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Runs pasta against the child's network namespace. pasta configures the interface itself (address, route,
 * MTU), serves the gateway and forwards DNS, and with {@code --port-driver=implicit} publishes every port bound
 * inside on the host.
 */
public final class PastaParentDriver implements ParentNetworkDriver {
    private static final String PROGRAM = "pasta";
    static final int DEFAULT_MTU = 65520;
    private static final String PID_FILE = ".pasta.pid";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final long POLL_MILLIS = 2;

    private final Linux linux;
    private final Log log;
    private final NetworkOptions options;
    private final PastaOptions own;
    private final Path pasta;
    private final Path setpriv;
    // Probing runs while the child JVM boots; start() needs the answer only later.
    private final CompletableFuture<Boolean> hostLoToNsLo;
    private HelperProcess process;

    public PastaParentDriver(NetworkOptions options, PastaOptions own, Linux linux, Log log)
            throws NetworkDriverException {
        this.linux = linux;
        this.log = log;
        this.options = options;
        this.own = own;
        this.pasta = Programs.require(own.binary(), "passt");
        this.setpriv = Programs.require("setpriv", "util-linux");
        this.hostLoToNsLo = Background.compute("rootlessjkit-" + PROGRAM + "-probe", () -> probe(pasta));
    }

    @Override
    public NetworkConfig start(NetworkContext context) throws NetworkDriverException {
        final Path pidFile = context.stateDir().resolve(PID_FILE);
        final PastaCommand command = command(options, own, setpriv, pasta, pidFile, awaitProbe());
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            throw new NetworkDriverException("failed to remove a stale " + pidFile + ": " + e, e);
        }
        if (options.disableHostLoopback() && !command.blocksNamespaceToHostPorts()) {
            log.warn("this pasta cannot publish ports implicitly while namespace-to-host forwarding is off: "
                    + "127.0.0.1 in the namespace still reaches the host's loopback ports despite "
                    + "--disable-host-loopback; passt 2024_10_30 or newer closes that");
        }
        final List<String> argv = command.argv(context.childPid(), options.detachNetns() ? context.netnsPath() : null);
        process = HelperProcess.start(linux, log, PROGRAM, argv, Map.of());
        awaitReady(pidFile);
        return networkConfig(command);
    }

    static PastaCommand command(NetworkOptions options, PastaOptions own, Path setpriv, Path pasta, Path pidFile,
            boolean hostLoToNsLo) throws NetworkDriverException {
        final Ipv4Network network;
        try {
            network = Ipv4Network.orDefault(options.cidr());
            network.childAddress();
        } catch (IllegalArgumentException e) {
            throw new NetworkDriverException(e.getMessage(), e);
        }
        return new PastaCommand(setpriv, pasta, pidFile, options.interfaceName(),
                options.mtu() > 0 ? options.mtu() : DEFAULT_MTU, network, options.disableHostLoopback(),
                options.ipv6(), own.implicitPorts(), own.udpPorts(), hostLoToNsLo);
    }

    static NetworkConfig networkConfig(PastaCommand command) {
        final Ipv4Network network = command.network();
        return new NetworkConfig(command.ifname(), network.childAddress(), network.prefixLength(),
                network.gateway(), List.of(network.dns()), command.mtu(), Map.of());
    }

    /** pasta writes its PID file after it has configured the namespace, just before it starts serving. */
    private void awaitReady(Path pidFile) throws NetworkDriverException {
        final long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!hasContent(pidFile)) {
            if (process.exited()) {
                throw new NetworkDriverException(process.failure("pasta failed"));
            }
            if (System.nanoTime() > deadline) {
                throw new NetworkDriverException(process.failure("timed out after " + READY_TIMEOUT.toSeconds()
                        + "s waiting for pasta to configure the namespace"));
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NetworkDriverException("interrupted while waiting for pasta", e);
            }
        }
        log.debug("pasta is ready (pid " + process.pid() + ")");
    }

    private static boolean hasContent(Path file) {
        try {
            return Files.size(file) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean awaitProbe() throws NetworkDriverException {
        try {
            return hostLoToNsLo.join();
        } catch (CompletionException e) {
            throw new NetworkDriverException(e.getCause().getMessage(), e.getCause());
        }
    }

    /** As RootlessKit: {@code --version} must work; whether {@code --host-lo-to-ns-lo --version} does too is the answer. */
    private static boolean probe(Path pasta) {
        try {
            final Programs.ProbeResult version = Programs.probe(pasta, "--version");
            if (version.exitCode() != 0) {
                throw new CompletionException(new IOException("command \"" + pasta + " --version\" failed, make "
                        + "sure pasta is installed (Debian package passt): " + version.output().trim()));
            }
            return Programs.probe(pasta, "--host-lo-to-ns-lo", "--version").exitCode() == 0;
        } catch (IOException e) {
            throw new CompletionException(e);
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
    }
}
