package dev.rootlessjkit.net.usernet;

import io.netty.buffer.ByteBuf;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The frames the TAP reader has read and the stack's loop has not handled yet, bounded as a NIC's receive ring is:
 * beyond either bound a frame is dropped at once. Bytes bound the memory (with offloads one frame carries up to
 * 64 KiB); frames bound the delay: a guest's flood of small frames (SYNs, one-datagram UDP flows) costs the loop host
 * system calls each, and queued by bytes alone hundreds of thousands of them would stand for seconds in front of
 * every later frame, ARP included, long after the flood. One reader thread offers; the loop polls.
 */
final class FrameQueue {
    /** A 4 MiB TCP window without offloads is ~2,800 frames of 1,500 bytes: a full window still fits. */
    static final int MAX_FRAMES = 4096;
    static final long MAX_BYTES = 32 << 20;

    private final int maxFrames;
    private final long maxBytes;
    private final Queue<ByteBuf> frames = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedFrames = new AtomicInteger();
    private final AtomicLong queuedBytes = new AtomicLong();

    FrameQueue() {
        this(MAX_FRAMES, MAX_BYTES);
    }

    FrameQueue(int maxFrames, long maxBytes) {
        this.maxFrames = maxFrames;
        this.maxBytes = maxBytes;
    }

    /** Queues {@code frame}, charged its capacity; false when a bound is reached (the caller still owns it). */
    boolean offer(ByteBuf frame) {
        if (queuedFrames.incrementAndGet() > maxFrames) {
            queuedFrames.decrementAndGet();
            return false;
        }
        if (queuedBytes.addAndGet(frame.capacity()) > maxBytes) {
            queuedBytes.addAndGet(-frame.capacity());
            queuedFrames.decrementAndGet();
            return false;
        }
        frames.add(frame);
        return true;
    }

    /** The oldest frame, now the caller's, or null. */
    ByteBuf poll() {
        final ByteBuf frame = frames.poll();
        if (frame != null) {
            queuedBytes.addAndGet(-frame.capacity());
            queuedFrames.decrementAndGet();
        }
        return frame;
    }

    boolean isEmpty() {
        return frames.isEmpty();
    }
}
