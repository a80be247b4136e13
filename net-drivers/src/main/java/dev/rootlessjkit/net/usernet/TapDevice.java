package dev.rootlessjkit.net.usernet;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TAP device (IFF_TAP | IFF_NO_PI) as the stack's frame source and sink. One blocking reader thread reads frames
 * and hands them to the event loop in batches: however many frames arrive while the loop is busy are handled in one
 * task, whose end-of-batch work (ACKs, socket flushes) then runs once. Writes happen on the loop: a TAP write
 * injects the frame into the namespace's stack and does not block.
 *
 * <p>A blocked read cannot be interrupted: after {@link #close()} the reader ends with the next frame, or when the
 * device disappears with the child's network namespace.
 */
public final class TapDevice implements FrameSink, AutoCloseable {
    /** Frames queued for the loop beyond this are dropped, as a NIC drops when its ring is full. */
    static final int MAX_QUEUED = 4096;
    private static final long EAGAIN_PAUSE_NANOS = 200_000;

    private final FileDescriptor in;
    private final FileDescriptor out;
    private final int frameCapacity;
    private final ByteBufAllocator alloc;
    private final Queue<ByteBuf> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicLong readerDrops = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private long writeErrors;
    private Thread reader;

    /**
     * @param in where frames are read, {@code out} where they are written: the same TAP fd in production
     * @param mtu the interface's MTU; frames up to MTU plus the Ethernet header are read whole
     */
    public TapDevice(FileDescriptor in, FileDescriptor out, int mtu, ByteBufAllocator alloc) {
        this.in = in;
        this.out = out;
        this.frameCapacity = mtu + 14;
        this.alloc = alloc;
    }

    @Override
    public void send(ByteBuf frame) {
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
    public void flush() {
        // Every TAP write is one frame already; with IFF_VNET_HDR and GSO this is where coalesced output would go.
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
        Runnable drain = () -> {
            drainScheduled.set(false);
            ByteBuf f;
            while ((f = queue.poll()) != null) {
                queued.decrementAndGet();
                stack.receive(f);
            }
        };
        reader = new Thread(() -> readLoop(loop, drain), "usernet-tap-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void readLoop(EventLoop loop, Runnable drain) {
        ByteBuf buf = null;
        try {
            while (!closed.get()) {
                if (buf == null) {
                    buf = alloc.directBuffer(frameCapacity, frameCapacity);
                }
                int n = buf.hasMemoryAddress() ? in.readAddress(buf.memoryAddress(), 0, frameCapacity)
                        : in.read(buf.internalNioBuffer(0, frameCapacity), 0, frameCapacity);
                if (n < 0) {
                    return;
                }
                if (n == 0) {
                    // EAGAIN: the fd is non-blocking (a TAP fd is normally opened blocking); do not spin.
                    LockSupport.parkNanos(EAGAIN_PAUSE_NANOS);
                    continue;
                }
                ByteBuf frame;
                if (n < frameCapacity / 4) {
                    // Small frames get a buffer of their size: the stack keeps slices of frames (out-of-order
                    // data, data waiting for the host socket), and a slice must not pin a 64 KiB buffer.
                    frame = alloc.directBuffer(n, n);
                    frame.writeBytes(buf, 0, n);
                } else {
                    frame = buf.writerIndex(n);
                    buf = null;
                }
                if (queued.incrementAndGet() > MAX_QUEUED) {
                    queued.decrementAndGet();
                    readerDrops.incrementAndGet();
                    frame.release();
                    continue;
                }
                queue.add(frame);
                if (!drainScheduled.getAndSet(true)) {
                    loop.execute(drain);
                }
            }
        } catch (IOException e) {
            // The device is gone (the child's namespace was torn down) or was closed: nothing more to read.
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The loop shut down first.
        } finally {
            if (buf != null) {
                buf.release();
            }
        }
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

    private static void closeQuietly(FileDescriptor fd) {
        try {
            fd.close();
        } catch (IOException e) {
            // Already closed by the peer's teardown: nothing to release.
        }
    }
}
