package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.SignalRelay;
import dev.rootlessjkit.linux.Signals;
import dev.rootlessjkit.linux.WaitStatus;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.messages.ChildConfig;
import dev.rootlessjkit.messages.ChildHello;
import dev.rootlessjkit.messages.ChildInitUserNSCompleted;
import dev.rootlessjkit.messages.ChildLaunch;
import dev.rootlessjkit.messages.HandshakeException;
import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.messages.ParentHello;
import dev.rootlessjkit.messages.ParentInitCompleted;
import dev.rootlessjkit.messages.ParentInitIdmapCompleted;
import dev.rootlessjkit.messages.ParentInitNetworkDriverCompleted;
import dev.rootlessjkit.messages.ParentInitPortDriverCompleted;
import dev.rootlessjkit.net.DetachedNetns;
import dev.rootlessjkit.net.NetworkDriverKind;
import dev.rootlessjkit.net.NetworkOptions;
import dev.rootlessjkit.net.api.NetworkContext;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.api.ParentNetworkDriver;
import dev.rootlessjkit.parent.api.Info;
import dev.rootlessjkit.parent.api.NetworkDriverInfo;
import dev.rootlessjkit.port.EarlyListeners;
import dev.rootlessjkit.port.ParentPortDriver;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortSpecParser;
import dev.rootlessjkit.port.PortSpecValidator;
import dev.rootlessjkit.port.PortStatus;
import dev.rootlessjkit.port.PreboundListeners;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One run: spawn the child, map its ids, start the drivers, hand signals on, and return CMD's exit status.
 * Must run on the main thread, which lives until the end: the child's parent-death signal is tied to the thread
 * that spawned it.
 */
public final class Parent {
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration UNSHARE_TIMEOUT = Duration.ofSeconds(30);
    /** unshare has exited when its status is in: its last words are in the pipe already, or never come. */
    private static final Duration UNSHARE_STDERR_DRAIN = Duration.ofSeconds(1);
    /** The wait status of a process killed by SIGKILL. */
    private static final int SIGKILL = 9;

    private final ParentConfig config;
    private final Linux linux;
    private final Log log;

    public Parent(ParentConfig config, Linux linux, Log log) {
        this.config = config;
        this.linux = linux;
        this.log = log;
    }

    /** What the id mapping step needs, all checked before anything is started. */
    private record IdMapPlan(Path newuidmap, Path newgidmap, SubIdSource.Ranges ranges) {
    }

    /**
     * Spawns the child first: its JVM takes longer to boot than anything the parent has to prepare, so every check
     * and set-up step that the spawn itself does not need runs while it boots.
     *
     * @param prebound the -p sockets bound before the native bindings loaded, which the port driver takes over
     */
    public int run(PreboundListeners prebound) throws ParentException {
        final List<PortSpec> publish = parsePublish();
        final Path unshare = Executables.require("unshare", "install util-linux");
        final AtomicInteger relayTarget = new AtomicInteger();
        final AtomicInteger spawned = new AtomicInteger();
        final AtomicInteger pendingSignal = new AtomicInteger();
        SignalRelay.install(linux, relayTarget::get, signal -> {
            // Until the child can pass signals on, a signal goes to the process we spawned, which ends the
            // handshake as it would have ended CMD.
            final int pid = spawned.get();
            if (pid <= 0) {
                pendingSignal.set(signal);
                return;
            }
            killQuietly(pid, signal);
        });
        try (DriverSocket driverSocket = config.network().kind().driverSocket ? DriverSocket.open() : null) {
            final int listenFds = listenFdsForUs();
            // ROOTLESSKIT_STATE_DIR is the child's to add: the state directory is made while it boots.
            final Map<String, String> env = new HashMap<>();
            env.put("ROOTLESSKIT_PARENT_EUID", Integer.toString(linux.geteuid()));
            env.put("ROOTLESSKIT_PARENT_EGID", Integer.toString(linux.getegid()));
            if (listenFds > 0) {
                env.put(ChildLaunch.ACTIVATION_ENV, "true");
            }
            final ChildProcess child = ChildProcess.spawn(linux, unshare, config, env, listenFds,
                    driverSocket == null ? -1 : driverSocket.childEnd(), log);
            if (driverSocket != null) {
                driverSocket.childSpawned();
            }
            spawned.set(child.pid());
            final ExitWatcher exit = new ExitWatcher(linux, child.pid());
            if (pendingSignal.get() != 0) {
                killQuietly(child.pid(), pendingSignal.get());
            }
            try {
                return superviseChild(child, exit, driverSocket, publish, prebound, relayTarget);
            } catch (ParentException e) {
                stopChild(child, exit);
                throw e;
            }
        }
    }

    private ParentNetworkDriver networkDriver() throws ParentException {
        try {
            return config.network().kind().parentHalf(config.network(), linux, log);
        } catch (NetworkDriverException e) {
            throw new ParentException(e.getMessage(), e);
        }
    }

    /**
     * Everything after the spawn, in the order the child needs it: its id maps and its configuration first (its
     * JVM waits for them as soon as it is up), then the -p listeners (those bound before the spawn hold early
     * clients in their backlog already; the others listen from here on), then the checks and drivers that only
     * later steps use.
     */
    private int superviseChild(ChildProcess child, ExitWatcher exit, DriverSocket driverSocket, List<PortSpec> publish,
            PreboundListeners prebound, AtomicInteger relayTarget) throws ParentException {
        // The maps first: the child JVM needs them as soon as it is up, and nothing else before its hello, which
        // it reads only once booted; the state directory and the first message (Jackson's first use) can wait.
        mapIds(child, exit, config.singleIdMapping() ? null : planIdMap());
        try (StateDir state = StateDir.open(config.stateDir(), linux, log)) {
            try {
                child.channel().send(new ParentHello(childConfig(state)));
            } catch (HandshakeException e) {
                return failedHandshake(child, exit, e);
            }
            try (EarlyListeners early = config.ports().kind().earlyListeners(prebound)) {
                for (PortSpec spec : publish) {
                    try {
                        early.listen(spec);
                    } catch (PortDriverException e) {
                        throw new ParentException("failed to expose port " + spec + ": " + e.getMessage(), e);
                    }
                }
                if (!publish.isEmpty()) {
                    log.debug("listening on the published ports");
                }
                Preflight.warn(log, linux.geteuid(), config.propagation());
                try (ParentNetworkDriver network = networkDriver();
                        PortDriverHolder ports = new PortDriverHolder(portDriver(state, network))) {
                    // The driver serves these from its start on; the others it can listen on only once it runs.
                    final List<PortSpec> later = publishPorts(ports.driver, publish, early);
                    return finishSetUpAndWait(child, exit, state, network, ports.driver, driverSocket, later,
                            relayTarget);
                }
            }
        }
    }

    /** @param publish the -p ports not published yet: those the port driver listens on only once it runs */
    private int finishSetUpAndWait(ChildProcess child, ExitWatcher exit, StateDir state, ParentNetworkDriver network,
            ParentPortDriver ports, DriverSocket driverSocket, List<PortSpec> publish, AtomicInteger relayTarget)
            throws ParentException {
        final AtomicReference<NetworkConfig> networkConfig = new AtomicReference<>();
        // What GET /v1/info answers: nothing until the set-up is done, then made on the first request. The version it
        // names is read from the parent's jar through the class path, which opens the jars one by one (~20 ms, the
        // SignatureFileVerifier included), and the child waits for ParentInitCompleted below.
        final AtomicReference<Supplier<Info>> info = new AtomicReference<>(() -> null);
        final WaitStatus status;
        try (EarlyApi api = EarlyApi.start(linux, state.resolve(".api.sock.starting"), () -> info.get().get(), ports,
                network.packetCapture().orElse(null), log)) {
            try {
                final long childPid = handshake(child, state, network, ports, driverSocket, networkConfig);
                relayTarget.set((int) childPid);
                publishPorts(ports, publish, null);
                state.publish(StateDir.CHILD_PID, Long.toString(childPid));
                final NetworkConfig configured = networkConfig.get();
                info.set(new OnFirstUse<>(() -> info(state, (int) childPid, configured, ports)));
                api.publishAs(state.resolve("api.sock"));
                child.channel().send(new ParentInitCompleted());
                log.debug("set-up done");
            } catch (HandshakeException e) {
                return failedHandshake(child, exit, e);
            } catch (ParentException e) {
                // Stopped before the state directory and the drivers go, which it may still be using.
                stopChild(child, exit);
                throw e;
            }
            status = unshareHidingSigkill(child, exit.await());
            log.debug("child " + status.describe());
        }
        if (status.signaled()) {
            // Only a child that exec'd CMD in place (no PID namespace, no port driver's child half) is CMD.
            log.error((ChildProcess.childStays(config) ? "child" : "command " + ChildConfig.describe(config.command()))
                    + " exited: " + status.describe());
        }
        return status.toExitCode();
    }

    /** unshare's exit status, or SIGKILL when unshare said its child died of it (see {@link UnshareStderr}). */
    private static WaitStatus unshareHidingSigkill(ChildProcess child, WaitStatus status) {
        if (child.unshareStderr() != null && status.exited() && status.exitCode() == 1
                && child.unshareStderr().childKilled(UNSHARE_STDERR_DRAIN)) {
            return new WaitStatus(SIGKILL);
        }
        return status;
    }

    /** Writes the uid and gid maps as soon as unshare has made the namespace, while the child JVM still boots. */
    private void mapIds(ChildProcess child, ExitWatcher exit, IdMapPlan plan) throws ParentException {
        awaitUserNamespace(child, exit);
        log.debug("the user namespace exists");
        final IdMapper mapper = new IdMapper(linux, linux.geteuid(), linux.getegid());
        if (plan == null) {
            mapper.mapSingleId(child.pid());
        } else {
            mapper.mapWithHelpers(child.pid(), plan.newuidmap(), plan.newgidmap(), plan.ranges());
        }
        log.debug("uid and gid maps written");
    }

    private long handshake(ChildProcess child, StateDir state, ParentNetworkDriver network, ParentPortDriver ports,
            DriverSocket driverSocket, AtomicReference<NetworkConfig> networkOut)
            throws HandshakeException, ParentException {
        final ChildHello hello = child.channel().expect(ChildHello.class, STEP_TIMEOUT);
        log.debug("child JVM up, host pid " + hello.hostPid());
        child.channel().send(new ParentInitIdmapCompleted());
        child.channel().expect(ChildInitUserNSCompleted.class, STEP_TIMEOUT);
        log.debug("child finished its user namespace set-up");
        if (config.evacuateCgroup2() != null) {
            new CgroupEvacuation(log).evacuate(hello.hostPid(), config.evacuateCgroup2());
        }
        final NetworkConfig networkConfig;
        try {
            // With --detach-netns the namespace is the child's bind mount at $STATE/netns, reached through its root.
            final Path netns = config.network().detachNetns() ? DetachedNetns.fromParent(hello.hostPid(), state.path())
                    : Path.of("/proc", Long.toString(hello.hostPid()), "ns", "net");
            networkConfig = network.start(new NetworkContext(hello.hostPid(), state.path(), netns,
                    driverSocket == null ? -1 : driverSocket.parentEnd()));
        } catch (NetworkDriverException e) {
            throw new ParentException(e.getMessage(), e);
        }
        networkOut.set(networkConfig);
        child.channel().send(new ParentInitNetworkDriverCompleted(networkConfig));
        child.channel().send(new ParentInitPortDriverCompleted(ports == null ? Map.of() : ports.opaqueForChild()));
        if (ports != null) {
            try {
                ports.start(STEP_TIMEOUT);
            } catch (PortDriverException e) {
                throw new ParentException(e.getMessage(), e);
            }
            log.debug("port driver " + ports.info().driver() + " ready");
        }
        return hello.hostPid();
    }

    /**
     * The maps can be written as soon as unshare has created the namespace, long before the child JVM has
     * booted; doing it then overlaps the two.
     */
    private void awaitUserNamespace(ChildProcess child, ExitWatcher exit) throws ParentException {
        final long deadline = System.nanoTime() + UNSHARE_TIMEOUT.toNanos();
        while (!child.inNewUserNamespace()) {
            if (exit.exited()) {
                throw new ParentException("failed to create the namespaces: unshare exited with "
                        + exit.await().describe());
            }
            if (System.nanoTime() > deadline) {
                throw new ParentException("timed out after " + UNSHARE_TIMEOUT.toSeconds()
                        + "s waiting for unshare to create the user namespace");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ParentException("interrupted while waiting for unshare", e);
            }
        }
    }

    /** A child that exited during the handshake has said why; one that hangs or misbehaves is stopped here. */
    private int failedHandshake(ChildProcess child, ExitWatcher exit, HandshakeException e) throws ParentException {
        if (!e.peerGone()) {
            stopChild(child, exit);
            throw new ParentException(e.getMessage(), e);
        }
        final WaitStatus status = exit.await();
        if (status.exited() && status.exitCode() != 0) {
            return status.exitCode();
        }
        throw new ParentException("child exited during set-up: " + status.describe() + " (" + e.getMessage() + ")");
    }

    private ChildConfig childConfig(StateDir state) {
        final NetworkOptions network = config.network();
        return new ChildConfig(state.path().toString(), network.kind().cliName,
                network.kind().newNamespace() && !network.detachNetns(), network.detachNetns(),
                config.propagation().cliName, config.copyUpDirs(), config.pidns(), config.reaper(),
                config.evacuateCgroup2(), config.command(), config.debug(),
                network.kind().newNamespace() ? network.interfaceName() : null);
    }

    private IdMapPlan planIdMap() throws ParentException {
        final String remedy = "install the uidmap package (Debian, Ubuntu) or shadow-utils (Fedora, Arch), "
                + "or pass --single-id-mapping to map only your own id";
        final Path newuidmap = Executables.require("newuidmap", remedy);
        final Path newgidmap = Executables.require("newgidmap", remedy);
        final String user = System.getProperty("user.name");
        final SubIdSource source = new SubIdSource(linux, config.subidSource(), Path.of("/etc/subuid"),
                Path.of("/etc/subgid"), log);
        return new IdMapPlan(newuidmap, newgidmap, source.lookup(user, linux.geteuid()));
    }

    /** -p specs, checked before anything starts (as RootlessKit does) so a typo costs no namespace set-up. */
    private List<PortSpec> parsePublish() throws ParentException {
        final List<PortSpec> specs = new ArrayList<>();
        for (String raw : config.publish()) {
            try {
                final PortSpec spec = PortSpecParser.parse(raw);
                PortSpecValidator.validate(spec, List.of());
                specs.add(spec);
            } catch (PortDriverException e) {
                throw new ParentException("failed to parse port spec " + raw + ": " + e.getMessage(), e);
            }
        }
        return specs;
    }

    private ParentPortDriver portDriver(StateDir state, ParentNetworkDriver network) throws ParentException {
        try {
            return config.ports().kind().parentHalf(config.ports(), state.path(), network, log);
        } catch (PortDriverException e) {
            throw new ParentException(e.getMessage(), e);
        }
    }

    /**
     * Publishes the specs: with {@code early}, only those it holds a listener for (the rest are returned, to be
     * published once the driver runs); without, all.
     */
    private List<PortSpec> publishPorts(ParentPortDriver ports, List<PortSpec> publish, EarlyListeners early)
            throws ParentException {
        final List<PortSpec> rest = new ArrayList<>();
        if (ports == null) {
            // --port-driver=implicit: pasta publishes what binds inside; RootlessKit checks -p and ignores it.
            return rest;
        }
        for (PortSpec spec : publish) {
            final int listenFd = early == null ? -1 : early.take(spec);
            if (early != null && listenFd < 0) {
                rest.add(spec);
                continue;
            }
            try {
                final PortStatus status = ports.addPort(spec, listenFd);
                log.debug("published port " + status.id() + ": " + spec);
            } catch (PortDriverException e) {
                throw new ParentException("failed to expose port " + spec + ": " + e.getMessage(), e);
            }
        }
        return rest;
    }

    private Info info(StateDir state, int childPid, NetworkConfig network, ParentPortDriver ports) {
        final NetworkDriverKind kind = config.network().kind();
        final NetworkDriverInfo networkInfo = !kind.newNamespace() ? null
                : new NetworkDriverInfo(kind.cliName, network.dns(), network.ip(),
                        kind.addressing == NetworkDriverKind.Addressing.DRIVER);
        return Info.of(Version.current().text(), state.path().toString(), childPid, networkInfo,
                ports == null ? null : ports.info());
    }

    /** A value made by the first call that asks for it, from whichever thread, and kept. */
    private static final class OnFirstUse<T> implements Supplier<T> {
        private final Supplier<T> make;
        private T made;

        OnFirstUse(Supplier<T> make) {
            this.make = make;
        }

        @Override
        public synchronized T get() {
            if (made == null) {
                made = make.get();
            }
            return made;
        }
    }

    /** Closes the port driver (listeners, connections, its threads) when the run ends, however it ends. */
    private static final class PortDriverHolder implements AutoCloseable {
        final ParentPortDriver driver;

        PortDriverHolder(ParentPortDriver driver) {
            this.driver = driver;
        }

        @Override
        public void close() {
            if (driver != null) {
                driver.close();
            }
        }
    }

    /** systemd's sockets (fds 3..3+N-1) when they were passed to this very process. */
    private static int listenFdsForUs() {
        final String pid = System.getenv("LISTEN_PID");
        final String fds = System.getenv("LISTEN_FDS");
        if (pid == null || fds == null || !pid.equals(Long.toString(ProcessHandle.current().pid()))) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(fds));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Kills the child and reaps it, unless it has been reaped already (its PID could then be someone else's). */
    private void stopChild(ChildProcess child, ExitWatcher exit) throws ParentException {
        if (!exit.exited()) {
            killQuietly(child.pid(), Signals.SIGKILL);
        }
        exit.await();
    }

    private void killQuietly(int pid, int signal) {
        try {
            linux.kill(pid, signal);
        } catch (ErrnoException e) {
            log.debug("kill " + pid + ": " + e.getMessage());
        }
    }
}
