package dev.rootlessjkit.linux;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.AtomicBoolean;
import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * UDP datagrams moved in batches with recvmmsg(2) and sendmmsg(2) through native memory allocated once: no Java
 * object per datagram, one system call per batch. A received batch is sent on as it lies in its slots; a run of
 * equal-sized datagrams to one destination goes out as one UDP_SEGMENT (GSO) message where the route takes it, which
 * the kernel cuts back into exactly the same datagrams (the last one of a run may be shorter) after one pass through
 * the stack instead of one per datagram.
 *
 * <p>Slots hold the largest UDP payload (65,527 bytes over IPv6), so nothing is truncated. Only the pages a
 * datagram fills are touched: a batch of small datagrams costs a few pages of resident memory, not
 * {@code slots * 64 KiB}; jnr-ffi frees it with the batch. Not thread-safe: one thread uses a batch. Assumes an LP64 ABI (x86-64, aarch64).
 */
public final class DatagramBatch {
    public static final int EAGAIN = Errno.EAGAIN.intValue();
    public static final int ECONNREFUSED = Errno.ECONNREFUSED.intValue();
    /** The most a slot holds: the largest UDP payload over IPv6 is 65,527 bytes. */
    public static final int SLOT_BYTES = 65536;
    /** The most one UDP_SEGMENT message may carry: the largest UDP payload over IPv4. */
    static final int MAX_SEGMENTED_BYTES = 65507;
    /** UDP_MAX_SEGMENTS of kernels before 6.10 (later ones take 128). */
    static final int MAX_SEGMENTS = 64;

    private static final int EINTR = Errno.EINTR.intValue();
    private static final int EINVAL = Errno.EINVAL.intValue();
    private static final int EIO = Errno.EIO.intValue();
    private static final int EMSGSIZE = Errno.EMSGSIZE.intValue();
    private static final int MSG_DONTWAIT = 0x40;
    private static final int SOL_UDP = 17;
    private static final int UDP_SEGMENT = 103;
    /** sizeof(struct sockaddr_in6), which holds a sockaddr_in too. */
    public static final int NAME_BYTES = 28;
    // struct mmsghdr on LP64: msghdr {name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40, flags 48}
    // then msg_len at 56; 64 bytes with padding. struct iovec: {base 0, len 8}, 16 bytes.
    private static final int MMSG_BYTES = 64;
    private static final int IOV_BYTES = 16;
    private static final int NAME_STRIDE = 32;
    // struct cmsghdr {size_t len; int level; int type;} then a uint16 segment size: CMSG_SPACE(2) = 24.
    private static final int CMSG_SPACE = 24;
    private static final int CMSG_LEN = 18;

    /** Reflective calls at first; the generated ones once {@link #compileInBackground} has them. */
    private volatile DatagramLib lib;
    private final Runtime runtime;
    private final int slots;
    private final Pointer data;
    private final Pointer recvMsgs;
    private final Pointer recvIovs;
    private final Pointer names;
    private final Pointer sendMsgs;
    private final Pointer sendIovs;
    private final Pointer controls;
    private final Pointer destination;
    /** sendMsgs from the k-th message on, made once so that a partial send allocates nothing. */
    private final Pointer[] sendFrom;
    /** Per planned message: its first datagram and how many it carries. */
    private final int[] planFirst;
    private final int[] planCount;
    private final AtomicBoolean compiling = new AtomicBoolean();
    private int lastError;
    private boolean segmentRefused;

    private DatagramBatch(DatagramLib lib, int slots) {
        this.lib = lib;
        this.runtime = Runtime.getRuntime(lib);
        this.slots = slots;
        // Not cleared: the kernel writes each datagram before it is read, and untouched pages stay unmapped.
        this.data = Memory.allocateDirect(runtime, (long) slots * SLOT_BYTES, false);
        this.recvMsgs = Memory.allocateDirect(runtime, (long) slots * MMSG_BYTES, true);
        this.recvIovs = Memory.allocateDirect(runtime, (long) slots * IOV_BYTES, true);
        this.names = Memory.allocateDirect(runtime, (long) slots * NAME_STRIDE, true);
        this.sendMsgs = Memory.allocateDirect(runtime, (long) slots * MMSG_BYTES, true);
        this.sendIovs = Memory.allocateDirect(runtime, (long) slots * IOV_BYTES, true);
        this.controls = Memory.allocateDirect(runtime, (long) slots * CMSG_SPACE, true);
        this.destination = Memory.allocateDirect(runtime, NAME_STRIDE, true);
        this.sendFrom = new Pointer[slots];
        this.planFirst = new int[slots];
        this.planCount = new int[slots];
        for (int i = 0; i < slots; i++) {
            final long msg = (long) i * MMSG_BYTES;
            recvIovs.putAddress((long) i * IOV_BYTES, data.address() + (long) i * SLOT_BYTES);
            recvIovs.putLong((long) i * IOV_BYTES + 8, SLOT_BYTES);
            recvMsgs.putAddress(msg, names.address() + (long) i * NAME_STRIDE);
            recvMsgs.putAddress(msg + 16, recvIovs.address() + (long) i * IOV_BYTES);
            recvMsgs.putLong(msg + 24, 1);
            sendIovs.putAddress((long) i * IOV_BYTES, data.address() + (long) i * SLOT_BYTES);
            final long control = (long) i * CMSG_SPACE;
            controls.putLong(control, CMSG_LEN);
            controls.putInt(control + 8, SOL_UDP);
            controls.putInt(control + 12, UDP_SEGMENT);
            sendFrom[i] = sendMsgs.slice(msg);
        }
    }

    /** A batch of {@code slots} datagrams. */
    public static DatagramBatch allocate(int slots) {
        if (slots < 1 || slots > 1024) {
            throw new IllegalArgumentException("slots " + slots + " is not in 1..1024 (UIO_MAXIOV)");
        }
        return new DatagramBatch(LibraryLoader.create(DatagramLib.class).load("c"), slots);
    }

    /**
     * Generates call stubs for this batch's calls on a background thread and switches to them when ready, as
     * {@link Splice#compileInBackground} does. Only the first call does anything.
     */
    public void compileInBackground() {
        if (compiling.compareAndSet(false, true)) {
            CompiledBindings.inBackground(DatagramLib.class, compiled -> lib = compiled);
        }
    }

    public int slots() {
        return slots;
    }

    /**
     * Receives up to {@link #slots} datagrams from {@code fd} without blocking: how many (0-byte datagrams count),
     * or -errno: -EAGAIN when none is queued, -ECONNREFUSED (once) after an ICMP port unreachable.
     */
    public int receive(int fd) {
        for (int i = 0; i < slots; i++) {
            recvMsgs.putInt((long) i * MMSG_BYTES + 8, NAME_BYTES);
        }
        while (true) {
            final int n = lib.recvmmsg(fd, recvMsgs, slots, MSG_DONTWAIT, null);
            if (n >= 0) {
                return n;
            }
            final int errno = runtime.getLastError();
            if (errno != EINTR) {
                return -errno;
            }
        }
    }

    /** The length of the {@code i}-th datagram received. */
    public int length(int i) {
        return recvMsgs.getInt((long) i * MMSG_BYTES + 56);
    }

    /** Whether the {@code i}-th and {@code j}-th datagrams received came from the same address and port. */
    public boolean sameSender(int i, int j) {
        final int length = senderLength(i);
        if (length != senderLength(j)) {
            return false;
        }
        final long a = (long) i * NAME_STRIDE;
        final long b = (long) j * NAME_STRIDE;
        for (int k = 0; k + 4 <= length; k += 4) {
            if (names.getInt(a + k) != names.getInt(b + k)) {
                return false;
            }
        }
        return true;
    }

    /** The length of the {@code i}-th datagram's sender's socket address (16 for IPv4, 28 for IPv6). */
    public int senderLength(int i) {
        return Math.min(NAME_BYTES, recvMsgs.getInt((long) i * MMSG_BYTES + 8));
    }

    /** Copies the {@code i}-th datagram's sender (a struct sockaddr) into {@code to}; returns its length. */
    public int copySender(int i, byte[] to) {
        final int length = senderLength(i);
        names.get((long) i * NAME_STRIDE, to, 0, length);
        return length;
    }

    /** Copies the {@code i}-th datagram into {@code to}, which holds at least {@link #length}{@code (i)} bytes. */
    public void copyOut(int i, byte[] to) {
        data.get((long) i * SLOT_BYTES, to, 0, length(i));
    }

    /** Puts {@code datagram} into slot {@code i}, to be sent with {@link #send}. */
    public void copyIn(int i, byte[] datagram) {
        data.put((long) i * SLOT_BYTES, datagram, 0, datagram.length);
        recvMsgs.putInt((long) i * MMSG_BYTES + 56, datagram.length);
    }

    /**
     * Sends datagrams {@code from} (inclusive) to {@code to} (exclusive) on {@code fd} without blocking, to
     * {@code destination} (a struct sockaddr as {@link #copySender} gives it; null on a connected socket), as
     * UDP_SEGMENT messages where {@code segment} allows. Returns how many datagrams the kernel took. A datagram
     * the kernel refuses is skipped (its errno is kept in {@link #lastError}); at EAGAIN (the socket's buffer is
     * full) the rest are dropped, as a full buffer drops them. When the kernel refuses a segmented message (EMSGSIZE,
     * or EINVAL before Linux 6.x: a segment exceeds the route's MTU; EIO: no checksum offload), its datagrams go again one by one and
     * {@link #segmentRefused} says so, so that the caller stops asking on that socket.
     */
    public int send(int fd, int from, int to, byte[] destination, int destinationLength, boolean segment) {
        lastError = 0;
        segmentRefused = false;
        if (destination != null) {
            this.destination.put(0, destination, 0, destinationLength);
        }
        int sent = 0;
        int next = from;
        while (next < to) {
            final int messages = plan(next, to, destination == null ? 0 : destinationLength,
                    segment && !segmentRefused);
            next = to;
            int k = 0;
            while (k < messages) {
                final int n = lib.sendmmsg(fd, sendFrom[k], messages - k, MSG_DONTWAIT);
                if (n > 0) {
                    for (int m = k; m < k + n; m++) {
                        sent += planCount[m];
                    }
                    k += n;
                    continue;
                }
                final int errno = runtime.getLastError();
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EAGAIN) {
                    lastError = errno;
                    return sent;
                }
                if ((errno == EMSGSIZE || errno == EINVAL || errno == EIO) && planCount[k] > 1) {
                    segmentRefused = true;
                    next = planFirst[k];
                    break;
                }
                lastError = errno;
                k++;
            }
        }
        return sent;
    }

    /**
     * Lays out send messages for datagrams {@code from..to}: one per datagram, or with {@code segment} one per
     * run of equal-sized datagrams (plus a shorter, non-empty last one) that fits a UDP_SEGMENT message. Returns
     * how many messages.
     */
    private int plan(int from, int to, int destinationLength, boolean segment) {
        int messages = 0;
        int i = from;
        while (i < to) {
            final int size = length(i);
            int end = i + 1;
            int total = size;
            if (segment && size > 0) {
                while (end < to && end - i < MAX_SEGMENTS && length(end) == size
                        && total + size <= MAX_SEGMENTED_BYTES) {
                    total += size;
                    end++;
                }
                if (end < to && end - i < MAX_SEGMENTS && length(end) > 0 && length(end) < size
                        && total + length(end) <= MAX_SEGMENTED_BYTES) {
                    total += length(end);
                    end++;
                }
            }
            for (int d = i; d < end; d++) {
                sendIovs.putLong((long) d * IOV_BYTES + 8, length(d));
            }
            final long msg = (long) messages * MMSG_BYTES;
            sendMsgs.putAddress(msg, destinationLength == 0 ? 0 : destination.address());
            sendMsgs.putInt(msg + 8, destinationLength);
            sendMsgs.putAddress(msg + 16, sendIovs.address() + (long) i * IOV_BYTES);
            sendMsgs.putLong(msg + 24, end - i);
            if (end - i > 1) {
                final long control = (long) messages * CMSG_SPACE;
                controls.putShort(control + 16, (short) size);
                sendMsgs.putAddress(msg + 32, controls.address() + control);
                sendMsgs.putLong(msg + 40, CMSG_SPACE);
            } else {
                sendMsgs.putAddress(msg + 32, 0);
                sendMsgs.putLong(msg + 40, 0);
            }
            planFirst[messages] = i;
            planCount[messages] = end - i;
            messages++;
            i = end;
        }
        return messages;
    }

    /** The errno of the last datagram {@link #send} could not send, or 0. */
    public int lastError() {
        return lastError;
    }

    /** Whether the last {@link #send} found UDP_SEGMENT refused on its socket. */
    public boolean segmentRefused() {
        return segmentRefused;
    }

    public String describe(int errno) {
        return lib.strerror(errno);
    }

    /** The address a struct sockaddr_in or sockaddr_in6 of {@code length} bytes names, for messages. */
    public static InetSocketAddress address(byte[] sockaddr, int length) {
        final int port = (sockaddr[2] & 0xff) << 8 | sockaddr[3] & 0xff;
        final byte[] ip = new byte[length == NAME_BYTES ? 16 : 4];
        System.arraycopy(sockaddr, length == NAME_BYTES ? 8 : 4, ip, 0, ip.length);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("address of " + ip.length + " bytes", e);
        }
    }
}
