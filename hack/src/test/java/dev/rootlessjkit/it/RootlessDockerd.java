package dev.rootlessjkit.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Debian's unmodified {@code dockerd-rootless.sh}, run as the test user with the launcher under test first in PATH
 * under the name {@code rootlesskit}, exactly as Docker's rootless mode runs RootlessKit. HOME, XDG_RUNTIME_DIR
 * (where dockerd puts docker.sock and containerd's state) and Docker's data root all live in the workspace.
 * The rest of PATH is a directory of links to the system's programs less RootlessKit's own
 * ({@link #RK_PROGRAMS}), so that the {@code rootlesskit-docker-proxy} dockerd runs for published ports can only
 * be the one beside the launcher, even on a machine that has Debian's rootlesskit package installed.
 */
final class RootlessDockerd implements AutoCloseable {

    static final Path SCRIPT = Path.of("/usr/share/docker.io/contrib/dockerd-rootless.sh");

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    /** How long dockerd may take to stop after SIGTERM: containers get their own stop timeout first. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final String SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** What the rootlesskit package installs; none of it may be reachable but through the launcher's directory. */
    static final List<String> RK_PROGRAMS = List.of("rootlesskit", "rootlessctl", "rootlesskit-docker-proxy");
    /** Where Debian's rootlesskit package puts its proxy. */
    static final String DEBIAN_PROXY = "/usr/bin/rootlesskit-docker-proxy";

    private final Rootless rootless;
    private final Path binDir;
    private final Path home;
    private final Path runtimeDir;
    private final Running running;
    /** Every process seen in dockerd's user namespace, so the clean-up finds those that left the launcher's tree. */
    private final Set<ProcessHandle> seen = new LinkedHashSet<>();
    private Path userNamespace;

    private RootlessDockerd(Rootless rootless, Path binDir, Path home, Path runtimeDir, Running running) {
        this.rootless = rootless;
        this.binDir = binDir;
        this.home = home;
        this.runtimeDir = runtimeDir;
        this.running = running;
    }

    /**
     * Starts the script with DOCKERD_ROOTLESS_ROOTLESSKIT_NET, ..._MTU and ..._PORT_DRIVER set, which it turns into
     * the launcher's --net, --mtu and --port-driver (next to --copy-up=/etc --copy-up=/run --propagation=rslave,
     * --disable-host-loopback and the --slirp4netns-* flags).
     */
    static RootlessDockerd start(Rootless rootless, String net, int mtu, String portDriver) {
        checkInstalled();
        final Workspace workspace = rootless.workspace();
        workspace.ownerShell("mkdir -p home xdg data && chmod 700 xdg");
        final Path binDir = binDirFor(rootless.launcher());
        final Path home = workspace.path().resolve("home");
        final Path runtimeDir = workspace.path().resolve("xdg");
        final Running running = rootless
                .program(List.of(SCRIPT.toString(), "--data-root", workspace.path().resolve("data").toString()))
                .env("HOME", home.toString())
                .env("XDG_RUNTIME_DIR", runtimeDir.toString())
                .env("PATH", path(workspace, binDir))
                .env("DOCKERD_ROOTLESS_ROOTLESSKIT_NET", net)
                .env("DOCKERD_ROOTLESS_ROOTLESSKIT_MTU", Integer.toString(mtu))
                .env("DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER", portDriver)
                .timeout(STOP_TIMEOUT)
                .start();
        return new RootlessDockerd(rootless, binDir, home, runtimeDir, running);
    }

    Running running() {
        return running;
    }

    Path binDir() {
        return binDir;
    }

    /**
     * The launcher's directory, then links to every program of the system's PATH except {@link #RK_PROGRAMS};
     * fails when a RootlessKit program would still resolve to anything but the launcher's directory.
     */
    static String path(Workspace workspace, Path binDir) {
        // Made here rather than by a shell loop: thousands of `ln` processes take too long on a loaded machine.
        final Path links = workspace.mkdir("system-bin");
        for (final String dir : SYSTEM_PATH.split(":")) {
            try (Stream<Path> programs = Files.list(Path.of(dir))) {
                for (final Path program : (Iterable<Path>) programs::iterator) {
                    final Path link = links.resolve(program.getFileName().toString());
                    if (!RK_PROGRAMS.contains(program.getFileName().toString()) && !Files.exists(link,
                            java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(link, program);
                    }
                }
            } catch (java.nio.file.NoSuchFileException e) {
                // Not every system has every directory of the usual PATH.
            } catch (IOException e) {
                throw new UncheckedIOException("cannot link the programs of " + dir + " into " + links, e);
            }
        }
        final String path = binDir + ":" + links;
        for (final String name : RK_PROGRAMS) {
            final Result found = Exec.run(List.of("env", "PATH=" + path, "sh", "-c", "command -v \"$0\"", name),
                    Duration.ofSeconds(10));
            if (!found.stdout().strip().equals(binDir.resolve(name).toString())) {
                throw new IllegalStateException(name + " resolves to \"" + found.stdout().strip() + "\" instead of "
                        + binDir.resolve(name) + " in PATH=" + path);
            }
        }
        return path;
    }

    /** Waits until dockerd answers on its socket, failing with the script's output if it dies first. */
    void awaitReady(Duration limit) {
        running.await("dockerd to answer `docker info`", limit,
                () -> Files.exists(runtimeDir.resolve("docker.sock")) && docker("info").exitCode() == 0);
    }

    /** The docker CLI, as the test user, against this dockerd. */
    Result docker(String... args) {
        final List<String> argv = new ArrayList<>(List.of("docker"));
        argv.addAll(List.of(args));
        return rootless.program(argv)
                .env("HOME", home.toString())
                .env("DOCKER_HOST", "unix://" + runtimeDir.resolve("docker.sock"))
                .timeout(COMMAND_TIMEOUT)
                .run();
    }

    /** Like {@link #docker} but a failure fails the test, with dockerd's output so far. */
    Result dockerOk(String... args) {
        final Result result = docker(args);
        if (result.exitCode() != 0) {
            throw new AssertionError("docker " + String.join(" ", args) + " failed\n" + result.describe() + "\n"
                    + running.partialOutput());
        }
        return result;
    }

    /**
     * Imports a one-binary image from the host's static busybox (no registry): /bin/busybox with the applets the
     * tests call, and /www/index.html holding {@code page} for busybox httpd.
     */
    String importBusybox(String tag, String page) {
        rootless.workspace().ownerShell("mkdir -p rootfs/bin rootfs/www && cp /bin/busybox rootfs/bin/ "
                + "&& for applet in sh echo httpd sleep; do ln -s busybox rootfs/bin/$applet; done "
                + "&& printf '%s\\n' " + Shell.quote(page) + " > rootfs/www/index.html "
                + "&& tar -C rootfs --owner=0 --group=0 --numeric-owner -cf rootfs.tar .");
        dockerOk("import", rootless.workspace().path().resolve("rootfs.tar").toString(), tag);
        return tag;
    }

    /**
     * The launcher's state directory: Docker's script passes no --state-dir, so it is the temporary one the
     * launcher made under $TMPDIR (the workspace's tmp), the one holding api.sock.
     */
    Path stateDir() {
        running.await("the launcher's state dir with api.sock", Duration.ofSeconds(30), () -> findStateDir().isPresent());
        return findStateDir().orElseThrow();
    }

    Optional<Path> findStateDir() {
        try (Stream<Path> entries = Files.list(rootless.workspace().tmpdir())) {
            return entries.filter(dir -> Files.exists(dir.resolve("api.sock"))).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** `rootlessctl list-ports --json` of the implementation under test (bin/rootlessctl beside bin/rootlesskit). */
    Result listPorts(Path stateDir) {
        return rootless.program(List.of(binDir.resolve("rootlessctl").toString(), "--socket",
                stateDir.resolve("api.sock").toString(), "list-ports", "--json")).run();
    }

    /** The user namespace dockerd runs in: the one of the launcher's child_pid. */
    Path userNamespace(Path stateDir) {
        if (userNamespace == null) {
            final long child = running.awaitPid(stateDir.resolve("child_pid"));
            try {
                userNamespace = Files.readSymbolicLink(Path.of("/proc/" + child + "/ns/user"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the user namespace of child_pid " + child, e);
            }
        }
        return userNamespace;
    }

    /**
     * The processes of the run right now: the launcher, everything below it, and everything in dockerd's user
     * namespace (containerd's shims leave the tree: they daemonize and are re-parented to the host's init).
     */
    Set<ProcessHandle> processes(Path stateDir) {
        final Set<ProcessHandle> now = new LinkedHashSet<>(running.tree());
        now.add(running.launcherHandle());
        now.addAll(inNamespace(userNamespace(stateDir)));
        seen.addAll(now);
        return now;
    }

    /**
     * The command lines (arguments joined by spaces) of the processes in dockerd's namespace that serve
     * {@code hostPort}: the userland proxy dockerd ran and the real docker-proxy that one runs.
     */
    List<String> proxiesFor(Path stateDir, int hostPort) {
        final List<String> found = new ArrayList<>();
        for (final ProcessHandle process : inNamespace(userNamespace(stateDir))) {
            try {
                final String commandLine = Files.readString(Path.of("/proc/" + process.pid() + "/cmdline"))
                        .replace('\0', ' ').strip();
                if (commandLine.contains("-host-port " + hostPort + " ")) {
                    found.add(commandLine);
                }
            } catch (IOException e) {
                // Gone meanwhile.
            }
        }
        return found;
    }

    /** Live (non-zombie) processes whose user namespace is {@code namespace}. */
    static List<ProcessHandle> inNamespace(Path namespace) {
        final List<ProcessHandle> found = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(process -> {
            try {
                final Path ns = Files.readSymbolicLink(Path.of("/proc/" + process.pid() + "/ns/user"));
                if (ns.equals(namespace) && Host.running(process)) {
                    found.add(process);
                }
            } catch (IOException e) {
                // Gone meanwhile, or not ours to inspect: not part of the run either way.
            }
        });
        return found;
    }

    /** Kills, by PID, whatever of the run is still there; the harness then kills the launcher's tree. */
    @Override
    public void close() {
        // A test that failed half-way may not have asked for the namespace yet; while the launcher lives, its
        // child_pid still tells, and the containers' shims are only found through it.
        final Optional<Path> namespace = userNamespace != null ? Optional.of(userNamespace)
                : findStateDir().flatMap(dir -> Running.readPid(dir.resolve("child_pid"))).flatMap(pid -> {
                    try {
                        return Optional.of(Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/user")));
                    } catch (IOException e) {
                        return Optional.empty();
                    }
                });
        namespace.ifPresent(ns -> seen.addAll(inNamespace(ns)));
        seen.forEach(ProcessHandle::destroyForcibly);
        running.close();
    }

    private static void checkInstalled() {
        for (final Path needed : List.of(SCRIPT, Path.of("/usr/sbin/dockerd"), Path.of("/usr/bin/docker"),
                Path.of("/usr/sbin/docker-proxy"), Path.of("/bin/busybox"))) {
            if (!Files.exists(needed)) {
                throw new IllegalStateException(needed + " is missing: run hack/ci-setup.sh as root (it installs "
                        + "docker.io, containerd, runc, iptables and busybox-static)");
            }
        }
    }

    /**
     * The directory whose {@code rootlesskit} is the launcher under test: the repository's bin/ (bin/rootlesskit
     * links to ./rootlessjkit), or the launcher's own directory when the override is itself named rootlesskit.
     * Its rootlesskit-docker-proxy is the one dockerd runs.
     */
    private static Path binDirFor(String launcher) {
        final Path path = Path.of(launcher).toAbsolutePath();
        final Path named = path.getFileName().toString().equals("rootlesskit")
                ? path.getParent() : path.getParent().resolve("bin");
        try {
            if (!named.resolve("rootlesskit").toRealPath().equals(path.toRealPath())) {
                throw new IllegalStateException(named.resolve("rootlesskit") + " is not the launcher " + launcher);
            }
        } catch (IOException e) {
            throw new IllegalStateException("no `rootlesskit` for launcher " + launcher + " in " + named, e);
        }
        return named;
    }
}
