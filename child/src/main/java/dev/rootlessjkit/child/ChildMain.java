package dev.rootlessjkit.child;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.FdStreams;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.SignalRelay;
import dev.rootlessjkit.linux.Signals;
import dev.rootlessjkit.linux.WaitStatus;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.messages.ChildConfig;
import dev.rootlessjkit.messages.ChildHello;
import dev.rootlessjkit.messages.ChildInitUserNSCompleted;
import dev.rootlessjkit.messages.ChildLaunch;
import dev.rootlessjkit.messages.FrameCodec;
import dev.rootlessjkit.messages.HandshakeException;
import dev.rootlessjkit.messages.MessageChannel;
import dev.rootlessjkit.messages.ParentHello;
import dev.rootlessjkit.messages.ParentInitCompleted;
import dev.rootlessjkit.messages.ParentInitIdmapCompleted;
import dev.rootlessjkit.messages.ParentInitNetworkDriverCompleted;
import dev.rootlessjkit.messages.ParentInitPortDriverCompleted;
import dev.rootlessjkit.net.ChildNetworkContext;
import dev.rootlessjkit.net.ChildNetworkDriver;
import dev.rootlessjkit.net.DetachedNetns;
import dev.rootlessjkit.net.NetworkDriverKind;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.port.ChildPortDriver;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortDriverKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The child: runs inside the new namespaces, finishes their set-up once the parent has mapped its uid, then
 * runs CMD. Entry point of the child JVM; the parent starts it through {@code unshare}.
 */
public final class ChildMain {
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);

    private final Log log;
    private final AtomicInteger commandPid = new AtomicInteger();
    /** Set once CMD has exited: the end of the parent's pipe is then expected, not a reason to stop. */
    private final AtomicBoolean exiting = new AtomicBoolean();

    private ChildMain(Log log) {
        this.log = log;
    }

    public static void main(String[] args) {
        final Log log = new Log("child ", false);
        int exitCode;
        try {
            exitCode = new ChildMain(log).run();
        } catch (ChildException | HandshakeException e) {
            log.error(e.getMessage());
            exitCode = 1;
        }
        System.exit(exitCode);
    }

    private static void restoreStderr(Linux linux, String fd) throws ChildException {
        if (fd == null) {
            return;
        }
        try {
            final int launcherStderr = Integer.parseInt(fd);
            linux.dup2(launcherStderr, 2);
            linux.close(launcherStderr);
        } catch (NumberFormatException | ErrnoException e) {
            throw new ChildException("cannot restore standard error from " + ChildLaunch.STDERR_FD_ENV + "=" + fd + ": "
                    + e.getMessage(), e);
        }
    }

    private int run() throws ChildException, HandshakeException {
        final Map<String, String> env = new HashMap<>(System.getenv());
        final String[] fds = env.getOrDefault(ChildLaunch.PIPE_FD_ENV, "").split(",");
        if (fds.length != 2) {
            throw new ChildException("the child must be started by rootlessjkit (" + ChildLaunch.PIPE_FD_ENV + " is unset)");
        }
        final Linux linux = Linux.load();
        restoreStderr(linux, env.remove(ChildLaunch.STDERR_FD_ENV));
        final MessageChannel parent;
        try {
            parent = new MessageChannel(FdStreams.input(linux, Integer.parseInt(fds[0].trim())),
                    FdStreams.output(linux, Integer.parseInt(fds[1].trim())), "parent", new FrameCodec());
        } catch (NumberFormatException e) {
            throw new ChildException("bad " + ChildLaunch.PIPE_FD_ENV + ": " + env.get(ChildLaunch.PIPE_FD_ENV), e);
        }
        env.remove(ChildLaunch.PIPE_FD_ENV);
        final boolean socketActivation = "true".equals(env.remove(ChildLaunch.ACTIVATION_ENV));
        final int driverSocket = driverSocketFd(env.remove(ChildLaunch.DRIVER_SOCKET_ENV));

        final ChildConfig config = parent.expect(ParentHello.class, STEP_TIMEOUT).config();
        // The parent makes the state directory while this JVM boots, so it names it here rather than at the spawn.
        env.put("ROOTLESSKIT_STATE_DIR", config.stateDir());
        final Log log = this.log.withDebug(config.debug());
        SignalRelay.install(linux, commandPid::get, signal -> {
            log.error("interrupted by signal: " + Signals.describe(signal) + " before the command started");
            System.exit(255);
        });
        parent.send(new ChildHello(hostPid()));
        parent.expect(ParentInitIdmapCompleted.class, STEP_TIMEOUT);

        final Path stateDir = Path.of(config.stateDir());
        final ChildNetworkDriver networkDriver;
        final ChildNetworkContext networkContext;
        try {
            // The driver's files replace /etc/resolv.conf and /etc/hosts; with --detach-netns it configures the
            // namespace at $STATE/netns and leaves the command's /etc alone.
            networkContext = new ChildNetworkContext(linux, log, stateDir,
                    config.copyUpDirs().stream().anyMatch(dir -> Path.of(dir).normalize().equals(Path.of("/etc"))),
                    config.detachNetNs() ? DetachedNetns.inStateDir(stateDir) : null, config.interfaceName(),
                    driverSocket);
            networkDriver = networkDriverKind(config.network()).childHalf(networkContext);
        } catch (NetworkDriverException e) {
            throw new ChildException(e.getMessage(), e);
        }
        final MountSetup mounts = new MountSetup(linux, log);
        if (config.pidNs()) {
            mounts.mountProc();
        }
        if (config.detachNetNs()) {
            // Before ChildInitUserNSCompleted: the parent's driver joins this namespace right after it.
            try {
                DetachedNetns.create(linux, stateDir);
            } catch (NetworkDriverException e) {
                throw new ChildException(e.getMessage(), e);
            }
        }
        try {
            // The parent half starts right after ChildInitUserNSCompleted, on what this makes.
            networkDriver.prepare();
        } catch (NetworkDriverException e) {
            throw new ChildException(e.getMessage(), e);
        }
        parent.send(new ChildInitUserNSCompleted());
        final ParentInitNetworkDriverCompleted network = parent.expect(ParentInitNetworkDriverCompleted.class,
                STEP_TIMEOUT);
        final Map<String, String> portOpaque = parent.expect(ParentInitPortDriverCompleted.class, STEP_TIMEOUT)
                .opaque();
        // Started before any mount changes, so its socket lands in the state directory the parent sees, and
        // inside this network namespace, where it connects.
        final Optional<ChildPortDriver> portDriver = PortDriverKind.childHalfFor(portOpaque,
                config.detachNetNs() ? DetachedNetns.inStateDir(stateDir) : null, log);
        if (portDriver.isPresent()) {
            try {
                portDriver.get().run(portOpaque);
            } catch (PortDriverException e) {
                throw new ChildException(e.getMessage(), e);
            }
        }
        log.debug("handshake done; network: " + network.network());

        mounts.setPropagation(config.propagation());
        new CopyUp(linux, log).copyUp(config.copyUpDirs());
        final boolean ownCgroup2 = config.evacuateCgroup2() != null;
        if (config.newNetNs()) {
            mounts.mountSys(ownCgroup2);
        } else if (ownCgroup2) {
            mounts.mountCgroup2();
        }
        try {
            networkDriver.configure(network.network());
        } catch (NetworkDriverException e) {
            throw new ChildException(e.getMessage(), e);
        }

        final Path executable = CommandLookup.find(config.command().get(0), env.get("PATH"));
        final int inheritedFds = socketActivation ? listenFds(env) : 0;
        final CommandRunner.Command command = new CommandRunner.Command(executable.toString(), config.command(),
                env, inheritedFds, socketActivation);
        final CommandRunner runner = new CommandRunner(linux, log);
        parent.expect(ParentInitCompleted.class, STEP_TIMEOUT);
        log.debug("mounts done; starting " + ChildConfig.describe(config.command()));
        if (!config.pidNs() && portDriver.isEmpty()) {
            // Nothing needs this JVM once CMD runs: become CMD. The death signal survives the exec, so CMD
            // still dies with the parent. It is armed only now because the uid map write cleared it.
            try {
                linux.setParentDeathSignal(Signals.SIGKILL);
            } catch (ErrnoException e) {
                throw new ChildException(e.getMessage(), e);
            }
            runner.execInPlace(command);
        }
        // This JVM stays to serve a port driver's child half, or as PID 1 of the PID namespace, whose exit would
        // kill every process in it. It leaves when the parent's pipe closes, taking CMD with it.
        watchParent(parent, linux);
        final WaitStatus status = runner.spawnAndWait(command, config.reaper(), commandPid::set);
        log.debug("command " + status.describe());
        exiting.set(true);
        // Threads blocked in native calls (the port driver's accept and receive, the pipe reader) would hold
        // the JVM's exit for up to 300 ms; closing their sockets first wakes them.
        portDriver.ifPresent(ChildPortDriver::close);
        parent.shutdown(Duration.ofMillis(500));
        if (!status.exited()) {
            log.error("command " + ChildConfig.describe(config.command()) + " exited: " + status.describe());
        }
        return status.toExitCode();
    }

    private void watchParent(MessageChannel parent, Linux linux) {
        final Thread watcher = new Thread(() -> {
            try {
                parent.awaitClosed();
            } catch (InterruptedException e) {
                return;
            }
            if (!exiting.get()) {
                // Without a PID namespace nothing else would stop CMD: this JVM has no death signal armed,
                // so that it, not the kernel, decides what ends with the parent.
                log.debug("the parent is gone; stopping");
                final int pid = commandPid.get();
                if (pid > 0) {
                    try {
                        linux.kill(pid, Signals.SIGKILL);
                    } catch (ErrnoException e) {
                        log.debug("kill " + pid + ": " + e.getMessage());
                    }
                }
                System.exit(1);
            }
        }, "rootlessjkit-parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** Our PID as the host sees it: /proc is still the host's procfs until a PID namespace remounts it. */
    private static long hostPid() throws ChildException {
        try {
            return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/self")).toString());
        } catch (IOException | NumberFormatException e) {
            throw new ChildException("cannot read /proc/self: " + e.getMessage(), e);
        }
    }

    private static NetworkDriverKind networkDriverKind(String name) throws NetworkDriverException {
        final NetworkDriverKind kind = NetworkDriverKind.byName(name);
        if (kind == null) {
            // The parent checked the name: this child belongs to another version of rootlessjkit.
            throw new NetworkDriverException("the parent asked for an unknown network driver \"" + name + "\"");
        }
        return kind;
    }

    /** The network driver's socket from the parent, or -1 when its driver asked for none. */
    private static int driverSocketFd(String value) throws ChildException {
        if (value == null) {
            return -1;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new ChildException("bad " + ChildLaunch.DRIVER_SOCKET_ENV + ": \"" + value + "\"", e);
        }
    }

    private static int listenFds(Map<String, String> env) {
        try {
            return Math.max(0, Integer.parseInt(env.getOrDefault("LISTEN_FDS", "0")));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
