package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.net.usernet.header.Ethernet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.IovArray;
import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A TAP device (IFF_TAP | IFF_NO_PI, optionally IFF_VNET_HDR) as the stack's frame source and sink. One blocking
 * reader thread reads frames and hands them to the event loop in batches: however many frames arrive while the
 * loop is busy are handled in one task, whose end-of-batch work (ACKs, socket flushes) then runs once. Writes happen
 * on the loop: a TAP write injects the frame into the namespace's stack and does not block.
 *
 * <p>With a virtio-net header the guest's kernel sends TCP segments of up to 64 KiB with checksums left undone,
 * and takes the same from us: a fortieth of the frames at an MTU of 1500, and no checksum pass over the payload.
 *
 * <p>A blocked read cannot be interrupted: after {@link #close()} the reader ends with the next frame, or when the
 * device disappears with the child's network namespace.
 */
public final class TapDevice implements FrameSink, AutoCloseable {
    /**
     * Frames one loop task handles before it lets the loop's other work (host sockets, timers) run and queues itself
     * again: a backlog cannot hold the host side of every connection still.
     */
    static final int DRAIN_BATCH = 1024;
    /** An IPv4 packet (at most 65535 bytes) in an Ethernet frame: the largest segment the kernel hands over. */
    private static final int MAX_GSO_FRAME = 14 + 65535;
    private static final long EAGAIN_PAUSE_NANOS = 200_000;
    /**
     * After an Error such as OutOfDirectMemoryError the reader waits this long before reading on: long enough for the
     * loop to free buffers, short enough that the guest's TCP retransmits find the device reading again.
     */
    private static final long ERROR_PAUSE_NANOS = 10_000_000;
    /** At most one warning about dropped frames per this interval, so a guest cannot flood the log. */
    private static final long WARNING_INTERVAL_NANOS = 10_000_000_000L;

    private final FileDescriptor in;
    private final FileDescriptor out;
    private final boolean vnetHdr;
    private final int headerLength;
    private final int readCapacity;
    private final ByteBufAllocator alloc;
    private final Consumer<String> warnings;
    private final FrameQueue queue = new FrameQueue();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicLong readerDrops = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    // Loop-only state for writes.
    private final ByteBuf outHeader;
    private final IovArray iov;
    private long writeErrors;
    private Thread reader;
    // Reader-thread-only state for rate-limited warnings.
    private long lastWarning;
    private long errorsSinceWarning;
    /** The reader's buffer for the next read; null once handed to the loop with a large frame. */
    private ByteBuf readBuffer;

    /**
     * @param in where frames are read, {@code out} where they are written: the same TAP fd in production
     * @param mtu the interface's MTU; frames up to MTU plus the Ethernet header are read whole
     * @param vnetHdr whether the fd was opened with IFF_VNET_HDR (and its offloads set with TUNSETOFFLOAD)
     * @param warnings where the reader reports dropped frames (rate-limited) and a device that stopped
     */
    public TapDevice(FileDescriptor in, FileDescriptor out, int mtu, boolean vnetHdr, ByteBufAllocator alloc,
            Consumer<String> warnings) {
        this.in = in;
        this.out = out;
        this.vnetHdr = vnetHdr;
        this.headerLength = vnetHdr ? VnetHeader.LENGTH : 0;
        this.readCapacity = headerLength + (vnetHdr ? MAX_GSO_FRAME : mtu + 14);
        this.alloc = alloc;
        this.warnings = warnings;
        this.outHeader = vnetHdr ? alloc.directBuffer(VnetHeader.LENGTH, VnetHeader.LENGTH) : null;
        this.iov = vnetHdr ? new IovArray() : null;
    }

    @Override
    public boolean offloads() {
        return vnetHdr;
    }

    @Override
    public void send(ByteBuf frame) {
        if (vnetHdr) {
            VnetHeader.writePlain(outHeader, 0);
            writeWithHeader(frame);
            return;
        }
        try {
            int from = frame.readerIndex();
            int to = frame.writerIndex();
            if (frame.hasMemoryAddress()) {
                out.writeAddress(frame.memoryAddress(), from, to);
            } else {
                out.write(frame.internalNioBuffer(from, to - from), 0, to - from);
            }
        } catch (IOException e) {
            // The guest's queue is full or the device is going away: a lost frame, which TCP recovers from.
            writeErrors++;
        } finally {
            frame.release();
        }
    }

    @Override
    public void sendOffloaded(ByteBuf frame, int l4Offset, int checksumOffset, int gsoSize, int headerLength) {
        if (!vnetHdr) {
            frame.release();
            throw new IllegalStateException("offloaded frame on a TAP device without IFF_VNET_HDR");
        }
        int base = frame.readerIndex();
        boolean ipv6 = frame.getUnsignedShort(base + 12) == Ethernet.TYPE_IPV6;
        VnetHeader.writeOffloaded(outHeader, 0, l4Offset - base, checksumOffset, gsoSize, headerLength - base, ipv6);
        writeWithHeader(frame);
    }

    /** One writev of the virtio-net header and the frame: the kernel takes a TAP frame per write call. */
    private void writeWithHeader(ByteBuf frame) {
        try {
            iov.clear();
            iov.add(outHeader, 0, VnetHeader.LENGTH);
            iov.add(frame, frame.readerIndex(), frame.readableBytes());
            out.writevAddresses(iov.memoryAddress(0), iov.count());
        } catch (IOException e) {
            writeErrors++;
        } finally {
            frame.release();
        }
    }

    @Override
    public void flush() {
        // Every TAP write is one frame already; nothing is held back.
    }

    /** Frames the reader dropped because the loop fell behind. */
    public long readerDrops() {
        return readerDrops.get();
    }

    /** Frames whose write failed; read on the loop. */
    public long writeErrors() {
        return writeErrors;
    }

    /** Starts the reader thread, which feeds {@code stack} on {@code loop}. */
    public synchronized void start(UsernetStack stack, EventLoop loop) {
        if (reader != null) {
            throw new IllegalStateException("TAP reader already started");
        }
        final Drain drain = new Drain(stack, loop);
        reader = new Thread(() -> readLoop(loop, drain), "usernet-tap-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Hands queued frames to the stack, at most {@link #DRAIN_BATCH} per task; on the loop. */
    private final class Drain implements Runnable {
        private final UsernetStack stack;
        private final EventLoop loop;

        Drain(UsernetStack stack, EventLoop loop) {
            this.stack = stack;
            this.loop = loop;
        }

        @Override
        public void run() {
            drainScheduled.set(false);
            ByteBuf f;
            int handled = 0;
            while (handled < DRAIN_BATCH && (f = queue.poll()) != null) {
                handled++;
                if (vnetHdr) {
                    boolean trusted = VnetHeader.checksumTrusted(f, f.readerIndex());
                    f.skipBytes(VnetHeader.LENGTH);
                    stack.receive(f, trusted);
                } else {
                    stack.receive(f, false);
                }
            }
            if (!queue.isEmpty() && !drainScheduled.getAndSet(true)) {
                loop.execute(this);
            }
        }
    }

    private void readLoop(EventLoop loop, Runnable drain) {
        try {
            while (!closed.get()) {
                try {
                    if (readBuffer == null) {
                        readBuffer = alloc.directBuffer(readCapacity, readCapacity);
                    }
                    readOne(readBuffer, loop, drain);
                } catch (Error e) {
                    // OutOfDirectMemoryError and the like: this frame is lost, as a NIC out of buffers loses it; the
                    // network must go on, or every connection of the namespace stops for good.
                    readerDrops.incrementAndGet();
                    warnRateLimited(e);
                    LockSupport.parkNanos(ERROR_PAUSE_NANOS);
                }
            }
        } catch (IOException e) {
            if (!closed.get()) {
                warnings.accept("usernet: reading the TAP device failed, the namespace's network has stopped: "
                        + e.getMessage());
            }
        } catch (RejectedExecutionException e) {
            // The loop shut down first.
        } finally {
            if (readBuffer != null) {
                readBuffer.release();
                readBuffer = null;
            }
        }
    }

    /** Reads one frame into {@code buf} (the read buffer) and queues it, or a copy of it when it is small. */
    private void readOne(ByteBuf buf, EventLoop loop, Runnable drain) throws IOException {
        int n = buf.hasMemoryAddress() ? in.readAddress(buf.memoryAddress(), 0, readCapacity)
                : in.read(buf.internalNioBuffer(0, readCapacity), 0, readCapacity);
        if (n < 0) {
            throw new IOException("end of file");
        }
        if (n == 0) {
            // EAGAIN: the fd is non-blocking (a TAP fd is normally opened blocking); do not spin.
            LockSupport.parkNanos(EAGAIN_PAUSE_NANOS);
            return;
        }
        if (n < headerLength) {
            // Not even a virtio-net header: nothing the stack could parse.
            readerDrops.incrementAndGet();
            return;
        }
        ByteBuf frame;
        if (n < readCapacity / 4) {
            // Small frames get a buffer of their size: the stack keeps slices of frames (out-of-order
            // data, data waiting for the host socket), and a slice must not pin a 64 KiB buffer.
            frame = alloc.directBuffer(n, n);
            frame.writeBytes(buf, 0, n);
        } else {
            frame = buf.writerIndex(n);
            readBuffer = null;
        }
        if (!queue.offer(frame)) {
            readerDrops.incrementAndGet();
            frame.release();
            return;
        }
        if (!drainScheduled.getAndSet(true)) {
            loop.execute(drain);
        }
    }

    private void warnRateLimited(Error e) {
        errorsSinceWarning++;
        long now = System.nanoTime();
        if (lastWarning != 0 && now - lastWarning < WARNING_INTERVAL_NANOS) {
            return;
        }
        lastWarning = now == 0 ? 1 : now;
        warnings.accept("usernet: dropped " + errorsSinceWarning + " frame(s) from the TAP device: " + e
                + " (the network goes on; frames are dropped while it lasts)");
        errorsSinceWarning = 0;
    }

    /** Stops reading and closes the file descriptors. Frames still queued are released by the stack's loop. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeQuietly(in);
        if (out != in) {
            closeQuietly(out);
        }
    }

    /** Frees the write path's buffers; on the loop, after the stack stopped sending. */
    void releaseWriteBuffers() {
        if (outHeader != null) {
            outHeader.release();
            iov.release();
        }
    }

    private static void closeQuietly(FileDescriptor fd) {
        try {
            fd.close();
        } catch (IOException e) {
            // Already closed by the peer's teardown: nothing to release.
        }
    }
}
