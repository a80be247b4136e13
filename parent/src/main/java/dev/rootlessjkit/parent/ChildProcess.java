package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.messages.ChildLaunch;
import dev.rootlessjkit.messages.FrameCodec;
import dev.rootlessjkit.messages.MessageChannel;
import dev.rootlessjkit.linux.FdStreams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The child JVM, started through util-linux {@code unshare}: a JVM is multi-threaded and cannot unshare its
 * own user namespace, and {@code --keep-caps} carries the new namespace's capabilities across the exec.
 *
 * @param pid     PID of the spawned process ({@code unshare}, which with --pidns forks the child JVM)
 * @param channel the handshake channel to the child
 * @param unshareStderr unshare's standard error with --pidns, null otherwise
 */
record ChildProcess(int pid, MessageChannel channel, UnshareStderr unshareStderr) {
    // The child only sets up mounts and runs or reaps CMD: a small heap and the serial GC start fastest and stay
    // small when it has to stay (--pidns, a port driver's child half). -Xint: the child runs its set-up code once,
    // and compiling any of it costs CPU that the two JVMs' start-up needs on a small machine (measured on 2 cores:
    // `rootlessjkit true` 874 -> 658 ms with both JVMs interpreted). One that stays is interpreted too: without a
    // compiler thread and its arenas it holds 8 MB less (48.6 -> 40.3 MB RSS), and what it then does per
    // connection (the builtin driver's dial) is a few system calls, not code worth compiling.
    private static final List<String> CHILD_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xms4m", "-Xmx64m",
            "-Xss512k", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:-UsePerfData", "-Xint",
            // As for the parent (see the launcher): no method-handle classes spun for jffi's reflective start.
            "-Djdk.reflect.useNativeAccessorOnly=true");
    /**
     * Where the launcher found jffi's native library unpacked by the build; the child uses the same. The program
     * name ({@link Log#PROGRAM_PROPERTY}) is passed on likewise, so both halves' messages carry the name it was run as.
     */
    private static final String JFFI_LIBRARY_PATH = "jffi.boot.library.path";
    /**
     * From the launcher: the flags its JDK needs (the child runs the same JDK), space-separated, and the option
     * naming the child's start-up archive trained for this JDK by hack/build-cds.sh, empty when there is none.
     */
    private static final String JDK_FLAGS_PROPERTY = "rootlessjkit.jdkFlags";
    private static final String CHILD_ARCHIVE_PROPERTY = "rootlessjkit.childArchive";
    /**
     * The same for the archive trained on a child that configures an interface and serves the builtin port driver's
     * child half. Kept apart from the plain one: a JVM maps and relocates its whole archive at every start, so the
     * network path's classes would slow `rootlessjkit true`, while without them that path loads, verifies and
     * interprets ~160 classes from the jars before CMD starts.
     */
    private static final String CHILD_NETWORK_ARCHIVE_PROPERTY = "rootlessjkit.childNetworkArchive";

    /** Whether the child JVM stays after CMD starts, rather than exec-ing it in place (see ChildMain). */
    static boolean childStays(ParentConfig config) {
        return config.pidns() || config.ports().kind().hasChildHalf;
    }

    /** Namespace flags of unshare(1) for this run. */
    static List<String> unshareFlags(ParentConfig config) {
        final List<String> flags = new ArrayList<>(List.of("--user", "--mount", "--propagation", "unchanged",
                "--keep-caps"));
        if (config.network().kind().newNamespace() && !config.network().detachNetns()) {
            flags.add("--net");
        }
        if (config.utsns()) {
            flags.add("--uts");
        }
        if (config.ipcns()) {
            flags.add("--ipc");
        }
        if (config.cgroupns()) {
            flags.add("--cgroup");
        }
        if (config.pidns()) {
            // The child must be PID 1 of the new namespace, so unshare forks; --kill-child makes the child die
            // with unshare.
            flags.addAll(List.of("--pid", "--fork", "--kill-child"));
        }
        return flags;
    }

    /**
     * Spawns the child with the handshake pipes as fds 3 and 4 (after the systemd sockets, if any, which keep
     * their numbers 3..3+N-1), and {@code driverSocket} as fd 5 unless it is negative.
     */
    static ChildProcess spawn(Linux linux, Path unshare, ParentConfig config, Map<String, String> extraEnv,
            int listenFds, int driverSocket, Log log) throws ParentException {
        final List<String> argv = new ArrayList<>();
        argv.add("unshare");
        argv.addAll(unshareFlags(config));
        argv.add("--");
        // The parent's own JDK, so the child's archive, trained with it, fits.
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(CHILD_JVM_OPTIONS);
        argv.addAll(launcherJvmFlags(usesNetworkArchive(config)));
        for (String property : List.of(JFFI_LIBRARY_PATH, Log.PROGRAM_PROPERTY)) {
            final String value = System.getProperty(property);
            if (value != null) {
                argv.add("-D" + property + "=" + value);
            }
        }
        argv.add("-cp");
        argv.add(ChildClassPath.select(System.getProperty("java.class.path")));
        argv.add(ChildLaunch.MAIN_CLASS);

        final int readFd = 3 + listenFds;
        final int writeFd = readFd + 1;
        final Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(extraEnv);
        env.put(ChildLaunch.PIPE_FD_ENV, readFd + "," + writeFd);
        final int driverSocketFd = writeFd + 1;
        if (driverSocket >= 0) {
            env.put(ChildLaunch.DRIVER_SOCKET_ENV, Integer.toString(driverSocketFd));
        }

        int[] toChild = null;
        int[] fromChild = null;
        int[] unshareErr = null;
        try {
            toChild = linux.pipe();
            fromChild = linux.pipe();
            final Map<Integer, Integer> dup2 = new LinkedHashMap<>();
            dup2.put(readFd, toChild[0]);
            dup2.put(writeFd, fromChild[1]);
            if (driverSocket >= 0) {
                dup2.put(driverSocketFd, driverSocket);
            }
            int highestTarget = driverSocket >= 0 ? driverSocketFd : writeFd;
            if (config.pidns()) {
                // unshare's stderr is a pipe to us (see UnshareStderr); our own stderr goes along as the next fd,
                // copied before fd 2 is replaced, and the child JVM puts it back on fd 2.
                unshareErr = linux.pipe();
                highestTarget++;
                dup2.put(highestTarget, 2);
                dup2.put(2, unshareErr[1]);
                env.put(ChildLaunch.STDERR_FD_ENV, Integer.toString(highestTarget));
            }
            final int pid = linux.spawn(unshare.toString(), argv, env, dup2, highestTarget + 1);
            log.debug("spawned the child, pid " + pid);
            final MessageChannel channel = new MessageChannel(FdStreams.input(linux, fromChild[0]),
                    FdStreams.output(linux, toChild[1]), "child", new FrameCodec());
            linux.closeQuietly(toChild[0], fromChild[1]);
            UnshareStderr unshareStderr = null;
            if (unshareErr != null) {
                linux.closeQuietly(unshareErr[1]);
                unshareStderr = new UnshareStderr(linux, unshareErr[0], System.err);
            }
            return new ChildProcess(pid, channel, unshareStderr);
        } catch (ErrnoException e) {
            for (int[] pipe : new int[][] {toChild, fromChild, unshareErr}) {
                if (pipe != null) {
                    linux.closeQuietly(pipe);
                }
            }
            throw new ParentException("failed to start the child: " + e.getMessage(), e);
        }
    }

    /** Whether the child configures an interface or serves a port driver's child half: the paths of that archive. */
    private static boolean usesNetworkArchive(ParentConfig config) {
        return config.network().kind().hasInterface() || config.ports().kind().hasChildHalf;
    }

    private static List<String> launcherJvmFlags(boolean networkArchive) {
        final List<String> flags = new ArrayList<>();
        for (String flag : System.getProperty(JDK_FLAGS_PROPERTY, "").split(" ")) {
            if (!flag.isEmpty()) {
                flags.add(flag);
            }
        }
        final String network = System.getProperty(CHILD_NETWORK_ARCHIVE_PROPERTY, "");
        final String archive = networkArchive && !network.isEmpty() ? network
                : System.getProperty(CHILD_ARCHIVE_PROPERTY, "");
        if (!archive.isEmpty()) {
            flags.add(archive);
        }
        return flags;
    }

    /** Whether the kernel shows the process in a user namespace other than ours, i.e. unshare has run. */
    boolean inNewUserNamespace() {
        try {
            return !Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", "user"))
                    .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/user")));
        } catch (IOException e) {
            return false;
        }
    }
}
