package dev.rootlessjkit.net.slirp4netns;

import dev.rootlessjkit.linux.ErrnoException;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Runs slirp4netns against the child's network namespace. It opens the TAP device inside, answers on the
 * network as gateway (cidr+2) and DNS forwarder (cidr+3), and connects out through host sockets.
 */
public final class Slirp4netnsParentDriver implements ParentNetworkDriver {
    private static final String PROGRAM = "slirp4netns";
    /** Where RootlessKit puts the API socket its slirp4netns port driver talks to. */
    static final String API_SOCKET = ".s4nn.sock";
    static final int DEFAULT_MTU = 65520;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final int POLL_SLICE_MILLIS = 100;

    private final Linux linux;
    private final Log log;
    private final NetworkOptions options;
    private final Slirp4netnsOptions own;
    private final Path binary;
    // The --help probe runs while the child JVM boots; start() needs its answer only later.
    private final CompletableFuture<String> help;
    private HelperProcess process;
    private int exitFdWriteEnd = -1;

    public Slirp4netnsParentDriver(NetworkOptions options, Slirp4netnsOptions own, Linux linux, Log log)
            throws NetworkDriverException {
        this.linux = linux;
        this.log = log;
        this.options = options;
        this.own = own;
        this.binary = Programs.require(own.binary(), PROGRAM);
        this.help = Background.compute("rootlessjkit-" + PROGRAM + "-probe", () -> probeHelp(binary));
    }

    /** slirp4netns listens on its API socket only for the slirp4netns port driver, which is its one client. */
    @Override
    public Optional<String> slirp4netnsApiSocket() {
        return own.apiSocket() ? Optional.of(API_SOCKET) : Optional.empty();
    }

    @Override
    public NetworkConfig start(NetworkContext context) throws NetworkDriverException {
        final Slirp4netnsRun chosen = choose(context.stateDir());
        final Path detached = options.detachNetns() ? context.netnsPath() : null;
        final List<String> argv = Slirp4netnsCommand.argv(binary, chosen, context.childPid(), detached);
        int[] ready = null;
        int[] exit = null;
        try {
            ready = linux.pipe();
            exit = linux.pipe();
            process = HelperProcess.start(linux, log, PROGRAM, argv,
                    Map.of(Slirp4netnsCommand.READY_FD, ready[1], Slirp4netnsCommand.EXIT_FD, exit[0]));
            closeQuietly(ready[1]);
            ready[1] = -1;
            closeQuietly(exit[0]);
            exitFdWriteEnd = exit[1];
            exit = null;
            awaitReady(ready[0]);
        } catch (ErrnoException e) {
            throw new NetworkDriverException("failed to start slirp4netns: " + e.getMessage(), e);
        } finally {
            if (ready != null) {
                closeQuietly(ready[0]);
                closeQuietly(ready[1]);
            }
            if (exit != null) {
                closeQuietly(exit[0]);
                closeQuietly(exit[1]);
            }
        }
        return networkConfig(chosen);
    }

    /** The flags after feature detection, with RootlessKit's errors for what this slirp4netns cannot do. */
    private Slirp4netnsRun choose(Path stateDir) throws NetworkDriverException {
        final Slirp4netnsFeatures features = Slirp4netnsFeatures.parse(awaitHelp());
        final boolean sandbox = Slirp4netnsRun.resolveSandbox(own.sandbox(), features.sandbox(),
                options.detachNetns());
        final boolean seccomp = Slirp4netnsRun.resolveSeccomp(own.seccomp(), features.seccomp(),
                linux.kernelSupportsSeccompFilter());
        final String cidr = options.cidr() == null || options.cidr().isEmpty() ? null
                : Ipv4Network.parse(options.cidr()).toString();
        final Slirp4netnsRun chosen = new Slirp4netnsRun(options.mtu() > 0 ? options.mtu() : DEFAULT_MTU,
                cidr, options.interfaceName(), options.disableHostLoopback(), options.ipv6(),
                own.apiSocket() ? stateDir.resolve(API_SOCKET) : null, sandbox, seccomp);
        features.require(chosen);
        return chosen;
    }

    private void awaitReady(int readyFd) throws NetworkDriverException, ErrnoException {
        final long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!linux.awaitReadable(readyFd, POLL_SLICE_MILLIS)) {
            if (process.exited()) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new NetworkDriverException(process.failure("timed out after " + READY_TIMEOUT.toSeconds()
                        + "s waiting for slirp4netns to get ready"));
            }
        }
        final byte[] one = new byte[1];
        if (linux.read(readyFd, one, 1) != 1) {
            // Every writer is gone without a word: slirp4netns exited before it was ready.
            process.awaitExit(1000);
            throw new NetworkDriverException(process.failure("slirp4netns failed"));
        }
        log.debug("slirp4netns is ready (pid " + process.pid() + ")");
    }

    /** What RootlessKit tells the child: the addresses slirp4netns serves in the cidr, and fd00::3 with IPv6. */
    static NetworkConfig networkConfig(Slirp4netnsRun chosen) {
        final Ipv4Network network = Ipv4Network.orDefault(chosen.cidr());
        final List<String> dns = new ArrayList<>(List.of(network.dns()));
        if (chosen.ipv6()) {
            // slirp4netns always serves IPv6 DNS at this address.
            dns.add("fd00::3");
        }
        return new NetworkConfig(chosen.ifname(), network.childAddress(), network.prefixLength(), network.gateway(),
                dns, chosen.mtu(), Map.of());
    }

    private String awaitHelp() throws NetworkDriverException {
        try {
            return help.join();
        } catch (CompletionException e) {
            final Throwable cause = e.getCause();
            throw new NetworkDriverException("command \"" + binary + " --help\" failed, make sure slirp4netns "
                    + "v0.4.0+ is installed: " + cause.getMessage(), cause);
        }
    }

    private static String probeHelp(Path binary) {
        try {
            final Programs.ProbeResult result = Programs.probe(binary, "--help");
            if (result.exitCode() != 0) {
                throw new CompletionException(new IOException("exit status " + result.exitCode() + ": "
                        + result.output().trim()));
            }
            return result.output();
        } catch (IOException e) {
            throw new CompletionException(e);
        }
    }

    /** Closing the exit fd ends slirp4netns by itself; the process is then reaped, or killed if it lingers. */
    @Override
    public void close() {
        closeQuietly(exitFdWriteEnd);
        exitFdWriteEnd = -1;
        if (process != null) {
            process.close();
        }
    }

    private void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            linux.close(fd);
        } catch (ErrnoException ignored) {
            // Already closed: nothing leaks.
        }
    }
}
