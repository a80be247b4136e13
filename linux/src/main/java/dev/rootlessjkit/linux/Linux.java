package dev.rootlessjkit.linux;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;

/**
 * The system calls rootlessjkit needs, with errors turned into {@link ErrnoException}s that name the call and
 * its subject. One instance per process, made by {@link #load()} and handed to whoever needs it.
 */
public final class Linux {
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
    private static final int ECHILD = 10;
    private static final int EINTR = 4;
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
    private static final int EINVAL = 22;
    private static final int PR_GET_SECCOMP = 21;
    private static final int PR_SET_SECCOMP = 22;
    private static final int SECCOMP_MODE_FILTER = 2;

    private final LibC libc;
    private final Runtime runtime;

    private Linux(LibC libc) {
        this.libc = libc;
        this.runtime = Runtime.getRuntime(libc);
    }

    /**
     * Binds each libc function on its first call: binding all of them up front cost each JVM 150-300 ms of start-up
     * (measured on a loaded 2-core machine), and a run calls only a few; every one of them is in any glibc.
     */
    public static Linux load() {
        return new Linux(LibraryLoader.create(LibC.class).load("c"));
    }

    public int geteuid() {
        return libc.geteuid();
    }

    public int getegid() {
        return libc.getegid();
    }

    /**
     * Starts {@code path} with posix_spawn, so nothing of the JVM but the listed fds reaches it: every fd from
     * {@code keepBelow} up is closed, {@code dup2} maps source fds onto target fds first, all signals are unblocked
     * and set to their default action (the JVM blocks and handles some).
     *
     * @param dup2 target fd → source fd
     */
    public int spawn(String path, List<String> argv, Map<String, String> env, Map<Integer, Integer> dup2,
            int keepBelow) throws ErrnoException {
        final Pointer fileActions = Memory.allocateDirect(runtime, SPAWN_STRUCT_BYTES);
        final Pointer attr = Memory.allocateDirect(runtime, SPAWN_STRUCT_BYTES);
        check(libc.posix_spawn_file_actions_init(fileActions), "posix_spawn_file_actions_init", path);
        check(libc.posix_spawnattr_init(attr), "posix_spawnattr_init", path);
        try {
            for (Map.Entry<Integer, Integer> e : dup2.entrySet()) {
                check(libc.posix_spawn_file_actions_adddup2(fileActions, e.getValue(), e.getKey()),
                        "posix_spawn_file_actions_adddup2", path);
            }
            check(libc.posix_spawn_file_actions_addclosefrom_np(fileActions, keepBelow),
                    "posix_spawn_file_actions_addclosefrom_np", path);
            final Pointer empty = Memory.allocateDirect(runtime, SIGSET_BYTES);
            libc.sigemptyset(empty);
            final Pointer all = Memory.allocateDirect(runtime, SIGSET_BYTES);
            libc.sigfillset(all);
            check(libc.posix_spawnattr_setsigmask(attr, empty), "posix_spawnattr_setsigmask", path);
            check(libc.posix_spawnattr_setsigdefault(attr, all), "posix_spawnattr_setsigdefault", path);
            check(libc.posix_spawnattr_setflags(attr, (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)),
                    "posix_spawnattr_setflags", path);
            final IntByReference pid = new IntByReference();
            final CStrings args = new CStrings(argv);
            final CStrings envp = new CStrings(environment(env));
            check(libc.posix_spawn(pid, path, fileActions, attr, args.array, envp.array), "posix_spawn", path);
            return pid.intValue();
        } finally {
            libc.posix_spawn_file_actions_destroy(fileActions);
            libc.posix_spawnattr_destroy(attr);
        }
    }

    /**
     * Replaces this process with {@code path}. Fds from {@code keepBelow} up are marked close-on-exec and the
     * signal mask is cleared first, so the new program starts as if spawned cleanly.
     */
    public void exec(String path, List<String> argv, Map<String, String> env, int keepBelow) throws ErrnoException {
        if (libc.close_range(keepBelow, Integer.MAX_VALUE, CLOSE_RANGE_CLOEXEC) != 0) {
            throw error("close_range", String.valueOf(keepBelow));
        }
        final Pointer empty = Memory.allocateDirect(runtime, SIGSET_BYTES);
        libc.sigemptyset(empty);
        if (libc.pthread_sigmask(SIG_SETMASK, empty, null) != 0) {
            throw error("pthread_sigmask", "");
        }
        final CStrings args = new CStrings(argv);
        final CStrings envp = new CStrings(environment(env));
        libc.execve(path, args.array, envp.array);
        throw error("execve", path);
    }

    /** Blocks until {@code pid} (or any child for -1) changes state; null when there is no such child. */
    public Reaped waitpid(int pid, int options) throws ErrnoException {
        final IntByReference status = new IntByReference();
        while (true) {
            final int got = libc.waitpid(pid, status, options);
            if (got > 0) {
                return new Reaped(got, new WaitStatus(status.intValue()));
            }
            if (got == 0) {
                return null;
            }
            final int errno = runtime.getLastError();
            if (errno == EINTR) {
                continue;
            }
            if (errno == ECHILD) {
                return null;
            }
            throw new ErrnoException("waitpid", String.valueOf(pid), errno, libc.strerror(errno));
        }
    }

    /** A child that {@link #waitpid} collected. */
    public record Reaped(int pid, WaitStatus status) {
    }

    public void kill(int pid, int signal) throws ErrnoException {
        if (libc.kill(pid, signal) != 0) {
            throw error("kill", pid + " " + Signals.name(signal));
        }
    }

    public void mount(String source, String target, String fsType, long flags, String data) throws ErrnoException {
        if (libc.mount(source, target, fsType, flags, data) != 0) {
            throw error("mount", (fsType == null ? source : fsType) + " on " + target);
        }
    }

    public void umount(String target, int flags) throws ErrnoException {
        if (libc.umount2(target, flags) != 0) {
            throw error("umount", target);
        }
    }

    /** chmod(2), which unlike java.nio also sets the sticky, setuid and setgid bits. */
    public void chmod(String path, int mode) throws ErrnoException {
        if (libc.chmod(path, mode) != 0) {
            throw error("chmod", path);
        }
    }

    /** Asks the kernel to send {@code signal} to this process when the thread that created it exits. */
    public void setParentDeathSignal(int signal) throws ErrnoException {
        if (libc.prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0) != 0) {
            throw error("prctl", "PR_SET_PDEATHSIG");
        }
    }

    /** Orphaned descendants are re-parented to this process instead of to init. */
    public void setChildSubreaper() throws ErrnoException {
        if (libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
            throw error("prctl", "PR_SET_CHILD_SUBREAPER");
        }
    }

    /**
     * Empties the calling thread's ambient and inheritable capability sets, keeping effective and permitted.
     * Capabilities are per thread: call it on the thread that then spawns or execs.
     */
    public void clearInheritableCapabilities() throws ErrnoException {
        if (libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
            throw error("prctl", "PR_CAP_AMBIENT_CLEAR_ALL");
        }
        final int[] header = {LINUX_CAPABILITY_VERSION_3, 0};
        final int[] data = new int[6];
        if (libc.capget(header, data) != 0) {
            throw error("capget", "this thread");
        }
        data[2] = 0;
        data[5] = 0;
        if (libc.capset(header, data) != 0) {
            throw error("capset", "inheritable set");
        }
    }

    /** A pipe as {read fd, write fd}, both close-on-exec. */
    public int[] pipe() throws ErrnoException {
        final int[] fds = new int[2];
        if (libc.pipe2(fds, O_CLOEXEC) != 0) {
            throw error("pipe2", "");
        }
        return fds;
    }

    /** dup2(2): {@code to} becomes a copy of {@code from} (closed first if open). */
    public void dup2(int from, int to) throws ErrnoException {
        if (libc.dup2(from, to) < 0) {
            throw error("dup2", from + " -> " + to);
        }
    }

    public void close(int fd) throws ErrnoException {
        if (libc.close(fd) != 0) {
            throw error("close", String.valueOf(fd));
        }
    }

    /** read(2), retried on EINTR; 0 at end of file. */
    public int read(int fd, byte[] buf, int count) throws ErrnoException {
        while (true) {
            final long n = libc.read(fd, buf, count);
            if (n >= 0) {
                return (int) n;
            }
            if (runtime.getLastError() != EINTR) {
                throw error("read", "fd " + fd);
            }
        }
    }

    /** write(2), retried on EINTR; may write less than asked. */
    public int write(int fd, byte[] buf, int count) throws ErrnoException {
        while (true) {
            final long n = libc.write(fd, buf, count);
            if (n >= 0) {
                return (int) n;
            }
            if (runtime.getLastError() != EINTR) {
                throw error("write", "fd " + fd);
            }
        }
    }

    /** Sets IFF_UP on an interface of the current network namespace, as {@code ip link set NAME up} does. */
    public void bringUp(String ifname) throws ErrnoException {
        final int fd = inetSocket();
        try {
            final Pointer ifreq = ifreq(ifname);
            if (libc.ioctl(fd, SIOCGIFFLAGS, ifreq) != 0) {
                throw error("ioctl SIOCGIFFLAGS", ifname);
            }
            ifreq.putShort(IFNAMSIZ, (short) (ifreq.getShort(IFNAMSIZ) | IFF_UP));
            if (libc.ioctl(fd, SIOCSIFFLAGS, ifreq) != 0) {
                throw error("ioctl SIOCSIFFLAGS", ifname);
            }
        } finally {
            libc.close(fd);
        }
    }

    /**
     * Gives an interface of the current network namespace its MTU (when {@code mtu > 0}) and one IPv4 address,
     * and brings it up: {@code ip link set DEV mtu M up; ip addr add A/P dev DEV} by ioctl, without an {@code ip}
     * process per step.
     */
    public void configureIpv4(String ifname, int mtu, byte[] address, int prefixLength) throws ErrnoException {
        if (address.length != 4 || prefixLength < 0 || prefixLength > 32) {
            throw new ErrnoException("ioctl", ifname, EINVAL, "not an IPv4 address/prefix");
        }
        final int fd = inetSocket();
        try {
            final Pointer ifreq = ifreq(ifname);
            if (mtu > 0) {
                ifreq.putInt(IFNAMSIZ, mtu);
                if (libc.ioctl(fd, SIOCSIFMTU, ifreq) != 0) {
                    throw error("ioctl SIOCSIFMTU", ifname + " " + mtu);
                }
            }
            putSockaddrIn(ifreq, IFNAMSIZ, address);
            if (libc.ioctl(fd, SIOCSIFADDR, ifreq) != 0) {
                throw error("ioctl SIOCSIFADDR", ifname);
            }
            putSockaddrIn(ifreq, IFNAMSIZ, netmask(prefixLength));
            if (libc.ioctl(fd, SIOCSIFNETMASK, ifreq) != 0) {
                throw error("ioctl SIOCSIFNETMASK", ifname);
            }
        } finally {
            libc.close(fd);
        }
        bringUp(ifname);
    }

    /** {@code ip route add default via GATEWAY dev DEV}, by ioctl. */
    public void addDefaultRoute(String ifname, byte[] gateway) throws ErrnoException {
        if (gateway.length != 4) {
            throw new ErrnoException("ioctl SIOCADDRT", ifname, EINVAL, "not an IPv4 gateway");
        }
        final int fd = inetSocket();
        try {
            final Pointer route = Memory.allocateDirect(runtime, RTENTRY_BYTES, true);
            putSockaddrIn(route, RTENTRY_DST, new byte[4]);
            putSockaddrIn(route, RTENTRY_GATEWAY, gateway);
            putSockaddrIn(route, RTENTRY_GENMASK, new byte[4]);
            route.putShort(RTENTRY_FLAGS, (short) (RTF_UP | RTF_GATEWAY));
            final byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
            final Pointer dev = Memory.allocateDirect(runtime, name.length + 1, true);
            dev.put(0, name, 0, name.length);
            route.putPointer(RTENTRY_DEV, dev);
            if (libc.ioctl(fd, SIOCADDRT, route) != 0) {
                throw error("ioctl SIOCADDRT", "default via " + ifname);
            }
        } finally {
            libc.close(fd);
        }
    }

    /**
     * Moves the calling thread (only that thread: the kernel keeps namespaces per task) into the namespace
     * at {@code path}, e.g. a bind-mounted network namespace.
     */
    public void enterNamespace(String path, int nstype) throws ErrnoException {
        final int fd = libc.open(path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) {
            throw error("open", path);
        }
        try {
            if (libc.setns(fd, nstype) != 0) {
                throw error("setns", path);
            }
        } finally {
            libc.close(fd);
        }
    }

    /** Gives the calling thread (only it) a new, empty network namespace. */
    public void unshareNetworkOfThisThread() throws ErrnoException {
        if (libc.unshare(CLONE_NEWNET) != 0) {
            throw error("unshare", "CLONE_NEWNET");
        }
    }

    /** Opens /dev/null for reading and writing, close-on-exec: stdin of helpers that must not read the user's. */
    public int openDevNull() throws ErrnoException {
        final int fd = libc.open("/dev/null", O_RDWR | O_CLOEXEC, 0);
        if (fd < 0) {
            throw error("open", "/dev/null");
        }
        return fd;
    }

    /**
     * Waits until {@code fd} is readable or its writers are gone, for at most {@code timeoutMillis}; false on
     * timeout.
     */
    public boolean awaitReadable(int fd, int timeoutMillis) throws ErrnoException {
        final Pointer pollfd = Memory.allocateDirect(runtime, 8, true);
        pollfd.putInt(0, fd);
        pollfd.putShort(4, POLLIN);
        while (true) {
            final int n = libc.poll(pollfd, 1, timeoutMillis);
            if (n >= 0) {
                return n > 0;
            }
            if (runtime.getLastError() != EINTR) {
                throw error("poll", "fd " + fd);
            }
        }
    }

    /**
     * Whether the kernel has seccomp filters, probed as RootlessKit and slirp4netns do: PR_SET_SECCOMP with a
     * NULL filter fails with EFAULT where filters exist and EINVAL where they do not.
     */
    public boolean kernelSupportsSeccompFilter() {
        if (libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && runtime.getLastError() == EINVAL) {
            return false;
        }
        return !(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0, 0, 0) < 0 && runtime.getLastError() == EINVAL);
    }

    /** O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC: a symlink in place of the file fails (ELOOP), never followed. */
    public static final int OPEN_FILE_NO_FOLLOW = 0100 | O_RDWR | 0400000 | O_CLOEXEC;
    /** O_RDONLY | O_DIRECTORY | O_CLOEXEC. */
    public static final int OPEN_DIRECTORY = O_RDONLY | 0200000 | O_CLOEXEC;
    private static final int LOCK_SH = 1;
    private static final int LOCK_EX = 2;
    private static final int LOCK_NB = 4;
    private static final int EWOULDBLOCK = 11;

    /** open(2) with {@code flags} and {@code mode}, e.g. {@link #OPEN_FILE_NO_FOLLOW}. */
    public int open(String path, int flags, int mode) throws ErrnoException {
        final int fd = libc.open(path, flags, mode);
        if (fd < 0) {
            throw error("open", path);
        }
        return fd;
    }

    /**
     * flock(2) without waiting: a BSD lock, the kind flock(1) and Go's gofrs/flock take and systemd-tmpfiles
     * honours (a shared lock on a directory keeps it from cleaning it). False when another holder conflicts.
     */
    public boolean tryFlock(int fd, boolean exclusive, String subject) throws ErrnoException {
        if (libc.flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) {
            return true;
        }
        if (runtime.getLastError() == EWOULDBLOCK) {
            return false;
        }
        throw error("flock", subject);
    }

    private int inetSocket() throws ErrnoException {
        final int fd = libc.socket(AF_INET, SOCK_DGRAM, 0);
        if (fd < 0) {
            throw error("socket", "AF_INET");
        }
        return fd;
    }

    private Pointer ifreq(String ifname) throws ErrnoException {
        final byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
        if (name.length >= IFNAMSIZ) {
            throw new ErrnoException("ioctl", ifname, EINVAL, "interface name longer than " + (IFNAMSIZ - 1));
        }
        final Pointer ifreq = Memory.allocateDirect(runtime, IFREQ_BYTES, true);
        ifreq.put(0, name, 0, name.length);
        return ifreq;
    }

    /** struct sockaddr_in: family in host order, port 0, address in network order (as given). */
    private static void putSockaddrIn(Pointer p, int offset, byte[] address) {
        p.setMemory(offset, SOCKADDR_BYTES, (byte) 0);
        p.putShort(offset, (short) AF_INET);
        p.put(offset + 4, address, 0, 4);
    }

    private static byte[] netmask(int prefixLength) {
        final int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        return new byte[] {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
    }

    private void check(int result, String call, String subject) throws ErrnoException {
        // posix_spawn and its helpers return the error number instead of setting errno.
        if (result != 0) {
            throw new ErrnoException(call, subject, result, libc.strerror(result));
        }
    }

    private ErrnoException error(String call, String subject) {
        final int errno = runtime.getLastError();
        return new ErrnoException(call, subject, errno, libc.strerror(errno));
    }

    private static List<String> environment(Map<String, String> env) {
        final List<String> entries = new ArrayList<>(env.size());
        env.forEach((k, v) -> entries.add(k + "=" + v));
        return entries;
    }

    /** A NULL-terminated char*[] in native memory; the strings stay reachable as long as this object. */
    private final class CStrings {
        final Pointer array;
        private final List<Pointer> strings = new ArrayList<>();

        CStrings(List<String> values) {
            final int size = runtime.addressSize();
            array = Memory.allocateDirect(runtime, (values.size() + 1) * size, true);
            for (int i = 0; i < values.size(); i++) {
                final byte[] bytes = values.get(i).getBytes(StandardCharsets.UTF_8);
                final Pointer s = Memory.allocateDirect(runtime, bytes.length + 1, true);
                s.put(0, bytes, 0, bytes.length);
                strings.add(s);
                array.putPointer((long) i * size, s);
            }
        }
    }
}
