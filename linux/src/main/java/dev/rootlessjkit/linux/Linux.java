package dev.rootlessjkit.linux;

import static dev.rootlessjkit.linux.NativeCalls.INT;
import static dev.rootlessjkit.linux.NativeCalls.LONG;
import static dev.rootlessjkit.linux.NativeCalls.POINTER;
import static dev.rootlessjkit.linux.NativeCalls.SHORT;
import static dev.rootlessjkit.linux.Libc.BIND;
import static dev.rootlessjkit.linux.Libc.CHMOD;
import static dev.rootlessjkit.linux.Libc.CLOSE;
import static dev.rootlessjkit.linux.Libc.IOCTL;
import static dev.rootlessjkit.linux.Libc.OPEN;
import static dev.rootlessjkit.linux.Libc.POLL;
import static dev.rootlessjkit.linux.Libc.READ;
import static dev.rootlessjkit.linux.Libc.SOCKET;
import static dev.rootlessjkit.linux.Libc.WRITE;

import com.kenai.jffi.MemoryIO;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The system calls rootlessjkit needs, with errors turned into {@link ErrnoException}s that name the call and
 * its subject. One instance per process, made by {@link #load()} and handed to whoever needs it.
 */
public final class Linux implements Mounts {
    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final long MS_NOEXEC = 8;
    public static final long MS_REMOUNT = 32;
    public static final long MS_BIND = 4096;
    public static final long MS_MOVE = 8192;
    public static final long MS_REC = 16384;
    public static final long MS_PRIVATE = 1 << 18;
    public static final long MS_SLAVE = 1 << 19;
    public static final long MS_SHARED = 1 << 20;
    public static final int MNT_DETACH = 2;

    public static final int O_CLOEXEC = 02000000;
    public static final int WNOHANG = 1;
    private static final int PR_SET_PDEATHSIG = 1;
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int PR_CAP_AMBIENT = 47;
    private static final int PR_CAP_AMBIENT_CLEAR_ALL = 4;
    private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    private static final int CLOSE_RANGE_CLOEXEC = 4;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final int SIG_SETMASK = 2;
    private static final int SIGSET_BYTES = 128;
    // glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336 on 64-bit; leave room.
    private static final int SPAWN_STRUCT_BYTES = 512;
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SIOCGIFFLAGS = 0x8913;
    private static final int SIOCSIFFLAGS = 0x8914;
    private static final int IFREQ_BYTES = 40;
    private static final int IFNAMSIZ = 16;
    private static final short IFF_UP = 1;
    private static final int SIOCSIFADDR = 0x8916;
    private static final int SIOCSIFNETMASK = 0x891c;
    private static final int SIOCSIFMTU = 0x8922;
    private static final int SIOCADDRT = 0x890b;
    private static final int SOCKADDR_BYTES = 16;
    // struct rtentry on LP64 (x86_64, aarch64): rt_dst at 8, rt_gateway at 24, rt_genmask at 40, rt_flags at 56,
    // rt_dev (char *) at 88; 120 bytes in all.
    private static final int RTENTRY_BYTES = 120;
    private static final int RTENTRY_DST = 8;
    private static final int RTENTRY_GATEWAY = 24;
    private static final int RTENTRY_GENMASK = 40;
    private static final int RTENTRY_FLAGS = 56;
    private static final int RTENTRY_DEV = 88;
    private static final short RTF_UP = 0x1;
    private static final short RTF_GATEWAY = 0x2;
    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    public static final int CLONE_NEWNET = 0x40000000;
    private static final short POLLIN = 0x1;
    private static final int PR_GET_SECCOMP = 21;
    private static final int PR_SET_SECCOMP = 22;
    private static final int SECCOMP_MODE_FILTER = 2;


    private static final NativeCalls.Function GETEUID = NativeCalls.Function.ofInt("geteuid");
    private static final NativeCalls.Function GETEGID = NativeCalls.Function.ofInt("getegid");
    private static final NativeCalls.Function SPAWN_FILE_ACTIONS_INIT =
            NativeCalls.Function.ofInt("posix_spawn_file_actions_init", POINTER);
    private static final NativeCalls.Function SPAWN_FILE_ACTIONS_DESTROY =
            NativeCalls.Function.ofInt("posix_spawn_file_actions_destroy", POINTER);
    private static final NativeCalls.Function SPAWN_FILE_ACTIONS_ADDDUP2 =
            NativeCalls.Function.ofInt("posix_spawn_file_actions_adddup2", POINTER, INT, INT);
    private static final NativeCalls.Function SPAWN_FILE_ACTIONS_ADDCLOSEFROM =
            NativeCalls.Function.ofInt("posix_spawn_file_actions_addclosefrom_np", POINTER, INT);
    private static final NativeCalls.Function SPAWNATTR_INIT = NativeCalls.Function.ofInt("posix_spawnattr_init",
            POINTER);
    private static final NativeCalls.Function SPAWNATTR_DESTROY =
            NativeCalls.Function.ofInt("posix_spawnattr_destroy", POINTER);
    private static final NativeCalls.Function SPAWNATTR_SETFLAGS =
            NativeCalls.Function.ofInt("posix_spawnattr_setflags", POINTER, SHORT);
    private static final NativeCalls.Function SPAWNATTR_SETSIGMASK =
            NativeCalls.Function.ofInt("posix_spawnattr_setsigmask", POINTER, POINTER);
    private static final NativeCalls.Function SPAWNATTR_SETSIGDEFAULT =
            NativeCalls.Function.ofInt("posix_spawnattr_setsigdefault", POINTER, POINTER);
    private static final NativeCalls.Function POSIX_SPAWN = NativeCalls.Function.ofInt("posix_spawn", POINTER,
            POINTER, POINTER, POINTER, POINTER, POINTER);
    private static final NativeCalls.Function SIGEMPTYSET = NativeCalls.Function.ofInt("sigemptyset", POINTER);
    private static final NativeCalls.Function SIGFILLSET = NativeCalls.Function.ofInt("sigfillset", POINTER);
    private static final NativeCalls.Function PTHREAD_SIGMASK = NativeCalls.Function.ofInt("pthread_sigmask", INT,
            POINTER, POINTER);
    private static final NativeCalls.Function CLOSE_RANGE = NativeCalls.Function.ofInt("close_range", INT, INT, INT);
    private static final NativeCalls.Function EXECVE = NativeCalls.Function.ofInt("execve", POINTER, POINTER,
            POINTER);
    private static final NativeCalls.Function WAITPID = NativeCalls.Function.ofInt("waitpid", INT, POINTER, INT);
    private static final NativeCalls.Function KILL = NativeCalls.Function.ofInt("kill", INT, INT);
    private static final NativeCalls.Function MOUNT = NativeCalls.Function.ofInt("mount", POINTER, POINTER, POINTER,
            LONG, POINTER);
    private static final NativeCalls.Function UMOUNT2 = NativeCalls.Function.ofInt("umount2", POINTER, INT);
    private static final NativeCalls.Function PRCTL = NativeCalls.Function.ofInt("prctl", INT, LONG, LONG, LONG,
            LONG);
    private static final NativeCalls.Function CAPGET = NativeCalls.Function.ofInt("capget", POINTER, POINTER);
    private static final NativeCalls.Function CAPSET = NativeCalls.Function.ofInt("capset", POINTER, POINTER);
    private static final NativeCalls.Function DUP2 = NativeCalls.Function.ofInt("dup2", INT, INT);
    private static final NativeCalls.Function SETNS = NativeCalls.Function.ofInt("setns", INT, INT);
    private static final NativeCalls.Function UNSHARE = NativeCalls.Function.ofInt("unshare", INT);
    private static final NativeCalls.Function FLOCK = NativeCalls.Function.ofInt("flock", INT, INT);

    private final NativeCalls c;
    private final MemoryIO memory;

    private Linux(NativeCalls calls) {
        this.c = calls;
        this.memory = calls.memory();
    }

    /**
     * Loads jffi's native stub and finds libc's symbols, each on its first call; see {@link NativeCalls} for why
     * not jnr-ffi here.
     */
    public static Linux load() {
        return new Linux(NativeCalls.load());
    }

    public int geteuid() {
        return c.callInt(GETEUID);
    }

    public int getegid() {
        return c.callInt(GETEGID);
    }

    /**
     * Starts {@code path} with posix_spawn, so nothing of the JVM but the listed fds reaches it: every fd from
     * {@code keepBelow} up is closed, {@code dup2} maps source fds onto target fds first, all signals are unblocked
     * and set to their default action (the JVM blocks and handles some). A source that is itself among the target
     * numbers (our own 0-2 may have been closed by whoever started us, so a pipe can be fd 1) is copied above them
     * for the spawn: the dup2 actions run in order, and an earlier one could overwrite it.
     *
     * @param dup2 target fd → source fd
     */
    public int spawn(String path, List<String> argv, Map<String, String> env, Map<Integer, Integer> dup2,
            int keepBelow) throws ErrnoException {
        final int highestTarget = dup2.keySet().stream().max(Integer::compare).orElse(-1);
        final Map<Integer, Integer> actions = new LinkedHashMap<>(dup2);
        // Source fd → its copy: a source feeding several targets (one pipe for stdout and stderr) is copied once.
        final Map<Integer, Integer> copies = new HashMap<>();
        try {
            for (Map.Entry<Integer, Integer> e : actions.entrySet()) {
                final int source = e.getValue();
                if (source <= highestTarget) {
                    Integer copy = copies.get(source);
                    if (copy == null) {
                        copy = duplicateAbove(source, highestTarget + 1);
                        copies.put(source, copy);
                    }
                    e.setValue(copy);
                }
            }
            return spawnWithActions(path, argv, env, actions, keepBelow);
        } finally {
            copies.values().forEach(fd -> closeQuietly(fd));
        }
    }

    /** What {@link #spawnWithOutput} started: its PID, and our end of the pipe its stdout and stderr go to. */
    public record Spawned(int pid, int outputFd) {
    }

    /**
     * {@link #spawn} with stdin on /dev/null, stdout and stderr on one pipe to us, and {@code extraFds} (target fd
     * → our fd) dup'ed in; every fd above the highest target is closed in the new process. The caller reads and
     * closes {@link Spawned#outputFd()}.
     */
    public Spawned spawnWithOutput(String path, List<String> argv, Map<String, String> env,
            Map<Integer, Integer> extraFds) throws ErrnoException {
        int devNull = -1;
        int[] output = null;
        try {
            devNull = openDevNull();
            output = pipe();
            final Map<Integer, Integer> dup2 = new LinkedHashMap<>();
            dup2.put(0, devNull);
            dup2.put(1, output[1]);
            dup2.put(2, output[1]);
            dup2.putAll(extraFds);
            final int pid = spawn(path, argv, env, dup2, dup2.keySet().stream().max(Integer::compare).orElse(2) + 1);
            final Spawned spawned = new Spawned(pid, output[0]);
            output[0] = -1;
            return spawned;
        } finally {
            closeQuietly(devNull);
            if (output != null) {
                closeQuietly(output[0]);
                closeQuietly(output[1]);
            }
        }
    }

    private int spawnWithActions(String path, List<String> argv, Map<String, String> env,
            Map<Integer, Integer> dup2, int keepBelow) throws ErrnoException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long fileActions = scratch.allocate(SPAWN_STRUCT_BYTES);
            final long attr = scratch.allocate(SPAWN_STRUCT_BYTES);
            check(c.callInt(SPAWN_FILE_ACTIONS_INIT, fileActions), "posix_spawn_file_actions_init", path);
            try {
                check(c.callInt(SPAWNATTR_INIT, attr), "posix_spawnattr_init", path);
                try {
                    for (Map.Entry<Integer, Integer> e : dup2.entrySet()) {
                        check(c.callInt(SPAWN_FILE_ACTIONS_ADDDUP2, fileActions, e.getValue(), e.getKey()),
                                "posix_spawn_file_actions_adddup2", path);
                    }
                    check(c.callInt(SPAWN_FILE_ACTIONS_ADDCLOSEFROM, fileActions, keepBelow),
                            "posix_spawn_file_actions_addclosefrom_np", path);
                    final long empty = scratch.allocate(SIGSET_BYTES);
                    c.call(SIGEMPTYSET, empty);
                    final long all = scratch.allocate(SIGSET_BYTES);
                    c.call(SIGFILLSET, all);
                    check(c.callInt(SPAWNATTR_SETSIGMASK, attr, empty), "posix_spawnattr_setsigmask", path);
                    check(c.callInt(SPAWNATTR_SETSIGDEFAULT, attr, all), "posix_spawnattr_setsigdefault", path);
                    check(c.callInt(SPAWNATTR_SETFLAGS, attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK),
                            "posix_spawnattr_setflags", path);
                    final long pid = scratch.allocate(Integer.BYTES);
                    check(c.callInt(POSIX_SPAWN, pid, scratch.string(path), fileActions, attr,
                            scratch.strings(argv), scratch.strings(environment(env))), "posix_spawn", path);
                    return memory.getInt(pid);
                } finally {
                    c.call(SPAWNATTR_DESTROY, attr);
                }
            } finally {
                c.call(SPAWN_FILE_ACTIONS_DESTROY, fileActions);
            }
        }
    }

    /**
     * Replaces this process with {@code path}. Fds from {@code keepBelow} up are marked close-on-exec and the
     * signal mask is cleared first, so the new program starts as if spawned cleanly.
     */
    public void exec(String path, List<String> argv, Map<String, String> env, int keepBelow) throws ErrnoException {
        if (c.callInt(CLOSE_RANGE, keepBelow, Integer.MAX_VALUE, CLOSE_RANGE_CLOEXEC) != 0) {
            throw c.failure("close_range", String.valueOf(keepBelow));
        }
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long empty = scratch.allocate(SIGSET_BYTES);
            c.call(SIGEMPTYSET, empty);
            if (c.callInt(PTHREAD_SIGMASK, SIG_SETMASK, empty, 0) != 0) {
                throw c.failure("pthread_sigmask", "");
            }
            c.call(EXECVE, scratch.string(path), scratch.strings(argv), scratch.strings(environment(env)));
            throw c.failure("execve", path);
        }
    }

    /** Blocks until {@code pid} (or any child for -1) changes state; null when there is no such child. */
    public Reaped waitpid(int pid, int options) throws ErrnoException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long status = scratch.allocate(Integer.BYTES);
            while (true) {
                final int got = c.callInt(WAITPID, pid, status, options);
                if (got > 0) {
                    return new Reaped(got, new WaitStatus(memory.getInt(status)));
                }
                if (got == 0) {
                    return null;
                }
                final int errno = c.errno();
                if (errno == Errno.EINTR) {
                    continue;
                }
                if (errno == Errno.ECHILD) {
                    return null;
                }
                throw new ErrnoException("waitpid", String.valueOf(pid), errno, c.describe(errno));
            }
        }
    }

    /** A child that {@link #waitpid} collected. */
    public record Reaped(int pid, WaitStatus status) {
    }

    public void kill(int pid, int signal) throws ErrnoException {
        if (c.callInt(KILL, pid, signal) != 0) {
            throw c.failure("kill", pid + " " + Signals.name(signal));
        }
    }

    @Override
    public void mount(String source, String target, String fsType, long flags, String data) throws ErrnoException {
        final int result;
        try (NativeCalls.Scratch scratch = c.scratch()) {
            result = c.callInt(MOUNT, scratch.string(source), scratch.string(target), scratch.string(fsType), flags,
                    scratch.string(data));
        }
        if (result != 0) {
            throw c.failure("mount", (fsType == null ? source : fsType) + " on " + target);
        }
    }

    @Override
    public void umount(String target, int flags) throws ErrnoException {
        final int result;
        try (NativeCalls.Scratch scratch = c.scratch()) {
            result = c.callInt(UMOUNT2, scratch.string(target), flags);
        }
        if (result != 0) {
            throw c.failure("umount", target);
        }
    }

    /** chmod(2), which unlike java.nio also sets the sticky, setuid and setgid bits. */
    public void chmod(String path, int mode) throws ErrnoException {
        final int result;
        try (NativeCalls.Scratch scratch = c.scratch()) {
            result = c.callInt(CHMOD, scratch.string(path), mode);
        }
        if (result != 0) {
            throw c.failure("chmod", path);
        }
    }

    /** Asks the kernel to send {@code signal} to this process when the thread that created it exits. */
    public void setParentDeathSignal(int signal) throws ErrnoException {
        if (c.callInt(PRCTL, PR_SET_PDEATHSIG, signal, 0, 0, 0) != 0) {
            throw c.failure("prctl", "PR_SET_PDEATHSIG");
        }
    }

    /** Orphaned descendants are re-parented to this process instead of to init. */
    public void setChildSubreaper() throws ErrnoException {
        if (c.callInt(PRCTL, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
            throw c.failure("prctl", "PR_SET_CHILD_SUBREAPER");
        }
    }

    /**
     * Empties the calling thread's ambient and inheritable capability sets, keeping effective and permitted.
     * Capabilities are per thread: call it on the thread that then spawns or execs.
     */
    public void clearInheritableCapabilities() throws ErrnoException {
        if (c.callInt(PRCTL, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
            throw c.failure("prctl", "PR_CAP_AMBIENT_CLEAR_ALL");
        }
        try (NativeCalls.Scratch scratch = c.scratch()) {
            // struct __user_cap_header_struct {version, pid}; two struct __user_cap_data_struct {effective,
            // permitted, inheritable}: the 64-bit sets, low half first.
            final long header = scratch.allocate(2 * Integer.BYTES);
            memory.putInt(header, LINUX_CAPABILITY_VERSION_3);
            final long data = scratch.allocate(6 * Integer.BYTES);
            if (c.callInt(CAPGET, header, data) != 0) {
                throw c.failure("capget", "this thread");
            }
            memory.putInt(data + 2 * Integer.BYTES, 0);
            memory.putInt(data + 5 * Integer.BYTES, 0);
            if (c.callInt(CAPSET, header, data) != 0) {
                throw c.failure("capset", "inheritable set");
            }
        }
    }

    /** A pipe as {read fd, write fd}, both close-on-exec. */
    public int[] pipe() throws ErrnoException {
        return Libc.pipe(c, O_CLOEXEC);
    }

    /** dup2(2): {@code to} becomes a copy of {@code from} (closed first if open). */
    public void dup2(int from, int to) throws ErrnoException {
        if (c.callInt(DUP2, from, to) < 0) {
            throw c.failure("dup2", from + " -> " + to);
        }
    }

    /** A close-on-exec copy of {@code fd} with the lowest free number from {@code lowest} up. */
    public int duplicateAbove(int fd, int lowest) throws ErrnoException {
        return Libc.duplicateAbove(c, fd, lowest);
    }

    public void close(int fd) throws ErrnoException {
        if (c.callInt(CLOSE, fd) != 0) {
            throw c.failure("close", String.valueOf(fd));
        }
    }

    /**
     * close(2) of each fd that is not negative, for clean-up paths: a failing close leaves nothing to undo (the fd
     * is released either way, or was never open).
     */
    public void closeQuietly(int... fds) {
        for (int fd : fds) {
            if (fd >= 0) {
                c.callInt(CLOSE, fd);
            }
        }
    }

    /** read(2), retried on EINTR; 0 at end of file. */
    public int read(int fd, byte[] buf, int count) throws ErrnoException {
        final int length = Math.min(count, buf.length);
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long native_ = scratch.allocate(length);
            while (true) {
                final long n = c.call(READ, fd, native_, length);
                if (n >= 0) {
                    memory.getByteArray(native_, buf, 0, (int) n);
                    return (int) n;
                }
                if (c.errno() != Errno.EINTR) {
                    throw c.failure("read", "fd " + fd);
                }
            }
        }
    }

    /** write(2), retried on EINTR; may write less than asked. */
    public int write(int fd, byte[] buf, int count) throws ErrnoException {
        final int length = Math.min(count, buf.length);
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long native_ = scratch.allocate(length);
            memory.putByteArray(native_, buf, 0, length);
            while (true) {
                final long n = c.call(WRITE, fd, native_, length);
                if (n >= 0) {
                    return (int) n;
                }
                if (c.errno() != Errno.EINTR) {
                    throw c.failure("write", "fd " + fd);
                }
            }
        }
    }

    /** Sets IFF_UP on an interface of the current network namespace, as {@code ip link set NAME up} does. */
    public void bringUp(String ifname) throws ErrnoException {
        final int fd = inetSocket();
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long ifreq = ifreq(scratch, ifname);
            if (c.callInt(IOCTL, fd, SIOCGIFFLAGS, ifreq) != 0) {
                throw c.failure("ioctl SIOCGIFFLAGS", ifname);
            }
            memory.putShort(ifreq + IFNAMSIZ, (short) (memory.getShort(ifreq + IFNAMSIZ) | IFF_UP));
            if (c.callInt(IOCTL, fd, SIOCSIFFLAGS, ifreq) != 0) {
                throw c.failure("ioctl SIOCSIFFLAGS", ifname);
            }
        } finally {
            c.call(CLOSE, fd);
        }
    }

    /**
     * Gives an interface of the current network namespace its MTU (when {@code mtu > 0}) and one IPv4 address,
     * and brings it up: {@code ip link set DEV mtu M up; ip addr add A/P dev DEV} by ioctl, without an {@code ip}
     * process per step.
     */
    public void configureIpv4(String ifname, int mtu, byte[] address, int prefixLength) throws ErrnoException {
        if (address.length != 4 || prefixLength < 0 || prefixLength > 32) {
            throw new ErrnoException("ioctl", ifname, Errno.EINVAL, "not an IPv4 address/prefix");
        }
        final int fd = inetSocket();
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long ifreq = ifreq(scratch, ifname);
            if (mtu > 0) {
                memory.putInt(ifreq + IFNAMSIZ, mtu);
                if (c.callInt(IOCTL, fd, SIOCSIFMTU, ifreq) != 0) {
                    throw c.failure("ioctl SIOCSIFMTU", ifname + " " + mtu);
                }
            }
            putSockaddrIn(ifreq + IFNAMSIZ, address);
            if (c.callInt(IOCTL, fd, SIOCSIFADDR, ifreq) != 0) {
                throw c.failure("ioctl SIOCSIFADDR", ifname);
            }
            putSockaddrIn(ifreq + IFNAMSIZ, netmask(prefixLength));
            if (c.callInt(IOCTL, fd, SIOCSIFNETMASK, ifreq) != 0) {
                throw c.failure("ioctl SIOCSIFNETMASK", ifname);
            }
        } finally {
            c.call(CLOSE, fd);
        }
        bringUp(ifname);
    }

    /** {@code ip route add default via GATEWAY dev DEV}, by ioctl. */
    public void addDefaultRoute(String ifname, byte[] gateway) throws ErrnoException {
        if (gateway.length != 4) {
            throw new ErrnoException("ioctl SIOCADDRT", ifname, Errno.EINVAL, "not an IPv4 gateway");
        }
        final int fd = inetSocket();
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long route = scratch.allocate(RTENTRY_BYTES);
            putSockaddrIn(route + RTENTRY_DST, new byte[4]);
            putSockaddrIn(route + RTENTRY_GATEWAY, gateway);
            putSockaddrIn(route + RTENTRY_GENMASK, new byte[4]);
            memory.putShort(route + RTENTRY_FLAGS, (short) (RTF_UP | RTF_GATEWAY));
            memory.putAddress(route + RTENTRY_DEV, scratch.string(ifname));
            if (c.callInt(IOCTL, fd, SIOCADDRT, route) != 0) {
                throw c.failure("ioctl SIOCADDRT", "default via " + ifname);
            }
        } finally {
            c.call(CLOSE, fd);
        }
    }

    /**
     * Moves the calling thread (only that thread: the kernel keeps namespaces per task) into the namespace
     * at {@code path}, e.g. a bind-mounted network namespace.
     */
    public void enterNamespace(String path, int nstype) throws ErrnoException {
        final int fd = open(path, O_RDONLY | O_CLOEXEC, 0);
        try {
            if (c.callInt(SETNS, fd, nstype) != 0) {
                throw c.failure("setns", path);
            }
        } finally {
            c.call(CLOSE, fd);
        }
    }

    /** Gives the calling thread (only it) a new, empty network namespace. */
    public void unshareNetworkOfThisThread() throws ErrnoException {
        if (c.callInt(UNSHARE, CLONE_NEWNET) != 0) {
            throw c.failure("unshare", "CLONE_NEWNET");
        }
    }

    /** Opens /dev/null for reading and writing, close-on-exec: stdin of helpers that must not read the user's. */
    public int openDevNull() throws ErrnoException {
        return open("/dev/null", O_RDWR | O_CLOEXEC, 0);
    }

    /**
     * Waits until {@code fd} is readable or its writers are gone, for at most {@code timeoutMillis}; false on
     * timeout.
     */
    public boolean awaitReadable(int fd, int timeoutMillis) throws ErrnoException {
        return awaitAnyReadable(timeoutMillis, fd) >= 0;
    }

    /**
     * Waits until one of {@code fds} is readable (or hung up), for at most {@code timeoutMillis} (negative:
     * without limit); the index in {@code fds} of the first such fd, -1 on timeout.
     */
    public int awaitAnyReadable(int timeoutMillis, int... fds) throws ErrnoException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            // struct pollfd {int fd; short events; short revents;}
            final long pollfds = scratch.allocate(8L * fds.length);
            for (int i = 0; i < fds.length; i++) {
                memory.putInt(pollfds + 8L * i, fds[i]);
                memory.putShort(pollfds + 8L * i + 4, POLLIN);
            }
            while (true) {
                final int n = c.callInt(POLL, pollfds, fds.length, timeoutMillis);
                if (n > 0) {
                    for (int i = 0; i < fds.length; i++) {
                        if (memory.getShort(pollfds + 8L * i + 6) != 0) {
                            return i;
                        }
                    }
                }
                if (n == 0) {
                    return -1;
                }
                if (n < 0 && c.errno() != Errno.EINTR) {
                    throw c.failure("poll", "fds " + Arrays.toString(fds));
                }
            }
        }
    }

    /**
     * Whether the kernel has seccomp filters, probed as RootlessKit and slirp4netns do: PR_SET_SECCOMP with a
     * NULL filter fails with EFAULT where filters exist and EINVAL where they do not.
     */
    public boolean kernelSupportsSeccompFilter() {
        final int einval = Errno.EINVAL;
        if (c.callInt(PRCTL, PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && c.errno() == einval) {
            return false;
        }
        return !(c.callInt(PRCTL, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0, 0, 0) < 0 && c.errno() == einval);
    }

    /** O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC: a symlink in place of the file fails (ELOOP), never followed. */
    public static final int OPEN_FILE_NO_FOLLOW = 0100 | O_RDWR | 0400000 | O_CLOEXEC;
    /** O_RDONLY | O_DIRECTORY | O_CLOEXEC. */
    public static final int OPEN_DIRECTORY = O_RDONLY | 0200000 | O_CLOEXEC;
    private static final int LOCK_SH = 1;
    private static final int LOCK_EX = 2;
    private static final int LOCK_NB = 4;

    /** open(2) with {@code flags} and {@code mode}, e.g. {@link #OPEN_FILE_NO_FOLLOW}. */
    public int open(String path, int flags, int mode) throws ErrnoException {
        final int fd;
        try (NativeCalls.Scratch scratch = c.scratch()) {
            fd = c.callInt(OPEN, scratch.string(path), flags, mode);
        }
        if (fd < 0) {
            throw c.failure("open", path);
        }
        return fd;
    }

    /**
     * flock(2) without waiting: a BSD lock, the kind flock(1) and Go's gofrs/flock take and systemd-tmpfiles
     * honours (a shared lock on a directory keeps it from cleaning it). False when another holder conflicts.
     */
    public boolean tryFlock(int fd, boolean exclusive, String subject) throws ErrnoException {
        if (c.callInt(FLOCK, fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) {
            return true;
        }
        if (c.errno() == Errno.EWOULDBLOCK) {
            return false;
        }
        throw c.failure("flock", subject);
    }

    private int inetSocket() throws ErrnoException {
        final int fd = c.callInt(SOCKET, AF_INET, SOCK_DGRAM, 0);
        if (fd < 0) {
            throw c.failure("socket", "AF_INET");
        }
        return fd;
    }

    private long ifreq(NativeCalls.Scratch scratch, String ifname) throws ErrnoException {
        final byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
        if (name.length >= IFNAMSIZ) {
            throw new ErrnoException("ioctl", ifname, Errno.EINVAL, "interface name longer than "
                    + (IFNAMSIZ - 1));
        }
        final long ifreq = scratch.allocate(IFREQ_BYTES);
        memory.putByteArray(ifreq, name, 0, name.length);
        return ifreq;
    }

    /** struct sockaddr_in at {@code at}: family in host order, port 0, address in network order (as given). */
    private void putSockaddrIn(long at, byte[] address) {
        memory.setMemory(at, SOCKADDR_BYTES, (byte) 0);
        memory.putShort(at, (short) AF_INET);
        memory.putByteArray(at + 4, address, 0, 4);
    }

    private static byte[] netmask(int prefixLength) {
        final int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        return new byte[] {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
    }

    private void check(int result, String call, String subject) throws ErrnoException {
        // posix_spawn and its helpers return the error number instead of setting errno.
        if (result != 0) {
            throw new ErrnoException(call, subject, result, c.describe(result));
        }
    }


    private static List<String> environment(Map<String, String> env) {
        final List<String> entries = new ArrayList<>(env.size());
        env.forEach((k, v) -> entries.add(k + "=" + v));
        return entries;
    }
}
