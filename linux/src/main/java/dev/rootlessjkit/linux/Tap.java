package dev.rootlessjkit.linux;

import static dev.rootlessjkit.linux.Libc.CLOSE;
import static dev.rootlessjkit.linux.Libc.IOCTL;
import static dev.rootlessjkit.linux.Libc.OPEN;

import com.kenai.jffi.MemoryIO;
import java.nio.charset.StandardCharsets;

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

    private final NativeCalls c;
    private final MemoryIO memory;

    private Tap(NativeCalls calls) {
        this.c = calls;
        this.memory = calls.memory();
    }

    /** Through jffi, as {@link Linux}: usernet's child half opens the TAP device on the way to the command. */
    public static Tap load() {
        return new Tap(NativeCalls.load());
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
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final int fd = c.callInt(OPEN, scratch.string("/dev/net/tun"), O_RDWR | O_CLOEXEC, 0);
            if (fd < 0) {
                throw c.failure("open", "/dev/net/tun");
            }
            final long ifreq = scratch.allocate(IFREQ_BYTES);
            memory.putByteArray(ifreq, bytes, 0, bytes.length);
            memory.putShort(ifreq + IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI | extraFlags));
            if (c.callInt(IOCTL, fd, TUNSETIFF, ifreq) != 0) {
                final ErrnoException e = c.failure("ioctl TUNSETIFF", name);
                c.call(CLOSE, fd);
                throw e;
            }
            return fd;
        }
    }

    /** Sets the offloads ({@code TUN_F_*}) of a TAP fd opened with {@link #VNET_HDR}. */
    public void setOffload(int fd, int flags) throws ErrnoException {
        // TUNSETOFFLOAD takes the flags as the argument itself, not a pointer to them.
        if (c.callInt(IOCTL, fd, TUNSETOFFLOAD, flags) != 0) {
            throw c.failure("ioctl TUNSETOFFLOAD", "fd " + fd);
        }
    }

}
