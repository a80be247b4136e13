package dev.rootlessjkit.linux;

import static dev.rootlessjkit.linux.NativeCalls.INT;
import static dev.rootlessjkit.linux.NativeCalls.POINTER;

import com.kenai.jffi.MemoryIO;
import dev.rootlessjkit.linux.NativeCalls.Function;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * UDP datagrams moved in batches with recvmmsg(2) and sendmmsg(2) through native memory allocated once: no Java
 * object per datagram, one system call per batch. A received batch is sent on as it lies in its slots; a run of
 * equal-sized datagrams to one destination goes out as one UDP_SEGMENT (GSO) message where the route takes it, which
 * the kernel cuts back into exactly the same datagrams (the last one of a run may be shorter) after one pass through
 * the stack instead of one per datagram.
 *
 * <p>Slots hold the largest UDP payload (65,527 bytes over IPv6), so nothing is truncated. Only the pages a
 * datagram fills are touched: a batch of small datagrams costs a few pages of resident memory, not
 * {@code slots * 64 KiB}. {@link #close} frees it. Not thread-safe: one thread uses a batch. Assumes an LP64 ABI
 * (x86-64, aarch64). The calls go through {@link NativeCalls}: one JNI transition each, nothing allocated.
 */
public final class DatagramBatch implements AutoCloseable {
    /** The most a slot holds: the largest UDP payload over IPv6 is 65,527 bytes. */
    public static final int SLOT_BYTES = 65536;
    /** The most one UDP_SEGMENT message may carry: the largest UDP payload over IPv4. */
    static final int MAX_SEGMENTED_BYTES = 65507;
    /** UDP_MAX_SEGMENTS of kernels before 6.10 (later ones take 128). */
    static final int MAX_SEGMENTS = 64;
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

    private static final Function RECVMMSG = Function.ofInt("recvmmsg", INT, POINTER, INT, INT, POINTER);
    private static final Function SENDMMSG = Function.ofInt("sendmmsg", INT, POINTER, INT, INT);

    private final NativeCalls c;
    private final MemoryIO memory;
    private final int slots;
    /** Every region below, in one allocation ({@link #close} frees it); the datagrams' region is not cleared. */
    private final long block;
    private final long data;
    private final long recvMsgs;
    private final long recvIovs;
    private final long names;
    private final long sendMsgs;
    private final long sendIovs;
    private final long controls;
    private final long destination;
    /** Per planned message: its first datagram and how many it carries. */
    private final int[] planFirst;
    private final int[] planCount;
    private int lastError;
    private boolean segmentRefused;
    private boolean closed;

    private DatagramBatch(NativeCalls calls, int slots) {
        this.c = calls;
        this.memory = calls.memory();
        this.slots = slots;
        final long dataBytes = (long) slots * SLOT_BYTES;
        final long headerBytes = (long) slots * (2 * MMSG_BYTES + 2 * IOV_BYTES + NAME_STRIDE + CMSG_SPACE)
                + NAME_STRIDE;
        final long blockBytes = dataBytes + headerBytes;
        // Not cleared: the kernel writes each datagram before it is read, and untouched pages stay unmapped. The
        // headers after the data are cleared by hand.
        this.block = memory.allocateMemory(blockBytes, false);
        if (block == 0) {
            throw new OutOfMemoryError("native memory for a batch of " + slots + " datagrams");
        }
        memory.setMemory(block + dataBytes, headerBytes, (byte) 0);
        this.data = block;
        this.recvMsgs = data + dataBytes;
        this.recvIovs = recvMsgs + (long) slots * MMSG_BYTES;
        this.names = recvIovs + (long) slots * IOV_BYTES;
        this.sendMsgs = names + (long) slots * NAME_STRIDE;
        this.sendIovs = sendMsgs + (long) slots * MMSG_BYTES;
        this.controls = sendIovs + (long) slots * IOV_BYTES;
        this.destination = controls + (long) slots * CMSG_SPACE;
        this.planFirst = new int[slots];
        this.planCount = new int[slots];
        for (int i = 0; i < slots; i++) {
            final long msg = (long) i * MMSG_BYTES;
            memory.putAddress(recvIovs + (long) i * IOV_BYTES, data + (long) i * SLOT_BYTES);
            memory.putLong(recvIovs + (long) i * IOV_BYTES + 8, SLOT_BYTES);
            memory.putAddress(recvMsgs + msg, names + (long) i * NAME_STRIDE);
            memory.putAddress(recvMsgs + msg + 16, recvIovs + (long) i * IOV_BYTES);
            memory.putLong(recvMsgs + msg + 24, 1);
            memory.putAddress(sendIovs + (long) i * IOV_BYTES, data + (long) i * SLOT_BYTES);
            final long control = controls + (long) i * CMSG_SPACE;
            memory.putLong(control, CMSG_LEN);
            memory.putInt(control + 8, SOL_UDP);
            memory.putInt(control + 12, UDP_SEGMENT);
        }
    }

    /** A batch of {@code slots} datagrams; {@link #close} it. */
    public static DatagramBatch allocate(int slots) {
        if (slots < 1 || slots > 1024) {
            throw new IllegalArgumentException("slots " + slots + " is not in 1..1024 (UIO_MAXIOV)");
        }
        return new DatagramBatch(NativeCalls.load(), slots);
    }

    /** Frees the batch's memory; it must not be used after. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            memory.freeMemory(block);
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
            memory.putInt(recvMsgs + (long) i * MMSG_BYTES + 8, NAME_BYTES);
        }
        while (true) {
            final int n = c.callInt(RECVMMSG, fd, recvMsgs, slots, MSG_DONTWAIT, 0);
            if (n >= 0) {
                return n;
            }
            final int errno = c.errno();
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** The length of the {@code i}-th datagram received. */
    public int length(int i) {
        return memory.getInt(recvMsgs + (long) i * MMSG_BYTES + 56);
    }

    /** Whether the {@code i}-th and {@code j}-th datagrams received came from the same address and port. */
    public boolean sameSender(int i, int j) {
        final int length = senderLength(i);
        if (length != senderLength(j)) {
            return false;
        }
        final long a = names + (long) i * NAME_STRIDE;
        final long b = names + (long) j * NAME_STRIDE;
        for (int k = 0; k + 4 <= length; k += 4) {
            if (memory.getInt(a + k) != memory.getInt(b + k)) {
                return false;
            }
        }
        return true;
    }

    /** The length of the {@code i}-th datagram's sender's socket address (16 for IPv4, 28 for IPv6). */
    public int senderLength(int i) {
        return Math.min(NAME_BYTES, memory.getInt(recvMsgs + (long) i * MMSG_BYTES + 8));
    }

    /** Copies the {@code i}-th datagram's sender (a struct sockaddr) into {@code to}; returns its length. */
    public int copySender(int i, byte[] to) {
        final int length = senderLength(i);
        memory.getByteArray(names + (long) i * NAME_STRIDE, to, 0, length);
        return length;
    }

    /** Copies the {@code i}-th datagram into {@code to}, which holds at least {@link #length}{@code (i)} bytes. */
    public void copyOut(int i, byte[] to) {
        memory.getByteArray(data + (long) i * SLOT_BYTES, to, 0, length(i));
    }

    /** Puts {@code datagram} into slot {@code i}, to be sent with {@link #send}. */
    public void copyIn(int i, byte[] datagram) {
        memory.putByteArray(data + (long) i * SLOT_BYTES, datagram, 0, datagram.length);
        memory.putInt(recvMsgs + (long) i * MMSG_BYTES + 56, datagram.length);
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
            memory.putByteArray(this.destination, destination, 0, destinationLength);
        }
        int sent = 0;
        int next = from;
        while (next < to) {
            final int messages = plan(next, to, destination == null ? 0 : destinationLength,
                    segment && !segmentRefused);
            next = to;
            int k = 0;
            while (k < messages) {
                final int n = c.callInt(SENDMMSG, fd, sendMsgs + (long) k * MMSG_BYTES, messages - k, MSG_DONTWAIT);
                if (n > 0) {
                    for (int m = k; m < k + n; m++) {
                        sent += planCount[m];
                    }
                    k += n;
                    continue;
                }
                final int errno = c.errno();
                if (errno == Errno.EINTR) {
                    continue;
                }
                if (errno == Errno.EAGAIN) {
                    lastError = errno;
                    return sent;
                }
                if ((errno == Errno.EMSGSIZE || errno == Errno.EINVAL || errno == Errno.EIO) && planCount[k] > 1) {
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
                memory.putLong(sendIovs + (long) d * IOV_BYTES + 8, length(d));
            }
            final long msg = sendMsgs + (long) messages * MMSG_BYTES;
            memory.putAddress(msg, destinationLength == 0 ? 0 : destination);
            memory.putInt(msg + 8, destinationLength);
            memory.putAddress(msg + 16, sendIovs + (long) i * IOV_BYTES);
            memory.putLong(msg + 24, end - i);
            if (end - i > 1) {
                final long control = controls + (long) messages * CMSG_SPACE;
                memory.putShort(control + 16, (short) size);
                memory.putAddress(msg + 32, control);
                memory.putLong(msg + 40, CMSG_SPACE);
            } else {
                memory.putAddress(msg + 32, 0);
                memory.putLong(msg + 40, 0);
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
        return c.describe(errno);
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
