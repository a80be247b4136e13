package dev.rootlessjkit.net.usernet;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class FrameQueueTest {

    /** A flood of small frames: far under the byte bound, and still only so many wait for the loop. */
    @Test
    void smallFramesAreBoundedByCount() {
        final FrameQueue queue = new FrameQueue();
        int queued = 0;
        for (int i = 0; i < 3 * FrameQueue.MAX_FRAMES; i++) {
            final ByteBuf syn = Unpooled.buffer(54, 54).writeZero(54);
            if (queue.offer(syn)) {
                queued++;
            } else {
                syn.release();
            }
        }
        assertTrue(queued == FrameQueue.MAX_FRAMES, "queued " + queued);
        assertTrue((long) queued * 54 < FrameQueue.MAX_BYTES);
        queue.poll().release();
        final ByteBuf next = Unpooled.buffer(60, 60);
        assertTrue(queue.offer(next), "a handled frame makes room for one more");
        drain(queue);
    }

    /** Offloaded 64 KiB segments: the byte bound comes first, and a small frame still fits in what is left. */
    @Test
    void largeFramesAreBoundedByBytes() {
        final FrameQueue queue = new FrameQueue();
        final int segment = 64 << 10;
        int queued = 0;
        while (true) {
            final ByteBuf frame = Unpooled.buffer(segment, segment);
            if (!queue.offer(frame)) {
                frame.release();
                break;
            }
            queued++;
        }
        assertTrue(queued == FrameQueue.MAX_BYTES / segment, "queued " + queued);
        assertFalse(queue.offer(Unpooled.buffer(1, 1)), "the byte bound is reached exactly");
        final ByteBuf first = queue.poll();
        first.release();
        assertTrue(queue.offer(Unpooled.buffer(100, 100)));
        drain(queue);
    }

    @Test
    void framesComeOutInOrder() {
        final FrameQueue queue = new FrameQueue(2, 1000);
        final ByteBuf a = Unpooled.buffer(1, 1);
        final ByteBuf b = Unpooled.buffer(1, 1);
        assertTrue(queue.offer(a));
        assertTrue(queue.offer(b));
        assertSame(a, queue.poll());
        assertSame(b, queue.poll());
        assertNull(queue.poll());
        assertTrue(queue.isEmpty());
    }

    private static void drain(FrameQueue queue) {
        ByteBuf f;
        while ((f = queue.poll()) != null) {
            f.release();
        }
    }
}
