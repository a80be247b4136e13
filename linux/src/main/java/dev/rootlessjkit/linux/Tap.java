package dev.rootlessjkit.linux;

import java.nio.charset.StandardCharsets;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * TAP devices: creating one in the current network namespace and turning on the offloads of a TAP fd opened with
 * {@link #VNET_HDR}. With offloads the kernel hands over and takes TCP segments of up to 64 KiB with their checksums
 * left to the receiver, which is what makes a user-mode stack fast at an MTU of 1500.
 */
public final class Tap {
    /** Every frame read or written is preceded by a 10-byte struct virtio_net_hdr. */
    public static final int VNET_HDR = 0x4000;
    /** TUNSETOFFLOAD flags: the guest may leave checksums to us and send TCP segments larger than its MTU. */
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;

    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 02000000;
    private static final long TUNSETIFF = 0x400454caL;
    private static final long TUNSETOFFLOAD = 0x400454d0L;
    private static final short IFF_TAP = 0x0002;
    private static final short IFF_NO_PI = 0x1000;
    private static final int IFREQ_BYTES = 40;
    private static final int IFNAMSIZ = 16;

    private final NetLib lib;
    private final Runtime runtime;

    private Tap(NetLib lib) {
        this.lib = lib;
        this.runtime = Runtime.getRuntime(lib);
    }

    public static Tap load() {
        return new Tap(LibraryLoader.create(NetLib.class).failImmediately().load("c"));
    }

    /**
     * Creates (or attaches to) the TAP device {@code name} in the calling thread's network namespace and returns
     * its fd: blocking, close-on-exec, frames without packet information.
     *
     * @param extraFlags 0, or {@link #VNET_HDR}
     */
    public int open(String name, int extraFlags) throws ErrnoException {
        final byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length == 0 || bytes.length >= IFNAMSIZ) {
            throw new ErrnoException("TUNSETIFF", name, 0, "interface name must have 1 to " + (IFNAMSIZ - 1)
                    + " characters");
        }
        final int fd = lib.open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            throw error("open", "/dev/net/tun");
        }
        final Pointer ifreq = Memory.allocateDirect(runtime, IFREQ_BYTES, true);
        ifreq.put(0, bytes, 0, bytes.length);
        ifreq.putShort(IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI | extraFlags));
        if (lib.ioctl(fd, TUNSETIFF, ifreq) != 0) {
            final ErrnoException e = error("ioctl TUNSETIFF", name);
            lib.close(fd);
            throw e;
        }
        return fd;
    }

    /** Sets the offloads ({@code TUN_F_*}) of a TAP fd opened with {@link #VNET_HDR}. */
    public void setOffload(int fd, int flags) throws ErrnoException {
        if (lib.ioctl(fd, TUNSETOFFLOAD, (long) flags) != 0) {
            throw error("ioctl TUNSETOFFLOAD", "fd " + fd);
        }
    }

    private ErrnoException error(String call, String subject) {
        final int errno = runtime.getLastError();
        return new ErrnoException(call, subject, errno, lib.strerror(errno));
    }
}
