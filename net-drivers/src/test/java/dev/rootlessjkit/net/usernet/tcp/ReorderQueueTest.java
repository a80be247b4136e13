package dev.rootlessjkit.net.usernet.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReorderQueueTest {
    private static ByteBuf frame(int capacity, int fill) {
        ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(capacity, capacity);
        for (int i = 0; i < capacity; i++) {
            b.writeByte(fill + i);
        }
        return b;
    }

    @Test
    void smallSegmentsAreCopiedOutOfTheirFrameInsteadOfPinningIt() {
        ReorderQueue q = new ReorderQueue(4 << 20, new ReorderBudget(64 << 20));
        List<ByteBuf> frames = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ByteBuf f = frame(65536, i);
            assertTrue(q.add(1000 + 2 * i, f, 54, 1, false));
            frames.add(f);
        }
        for (ByteBuf f : frames) {
            assertEquals(1, f.refCnt(), "the queue must not keep the 64 KiB frame of a 1-byte segment");
            f.release();
        }
        assertTrue(q.pinnedBytes() < 100 * 1024, "pinned " + q.pinnedBytes());
        q.clear();
    }

    @Test
    void largeSegmentsAreKeptWithoutCopyAndChargedTheirFramesCapacity() {
        ReorderQueue q = new ReorderQueue(4 << 20, new ReorderBudget(64 << 20));
        ByteBuf f = frame(2000, 0);
        assertTrue(q.add(5000, f, 54, 1400, false));
        assertEquals(2, f.refCnt());
        assertEquals(2000 + ReorderQueue.SEGMENT_OVERHEAD, q.pinnedBytes());
        f.release();
        q.clear();
        assertEquals(0, q.pinnedBytes());
    }

    @Test
    void boundsSegmentsAndPinnedMemory() {
        ReorderQueue q = new ReorderQueue(4 << 20, new ReorderBudget(64 << 20));
        ByteBuf f = frame(100, 0);
        int taken = 0;
        for (int i = 0; i < 10 * ReorderQueue.MAX_SEGMENTS; i++) {
            if (q.add(2 * i, f, 0, 1, false)) {
                taken++;
            }
        }
        assertEquals(ReorderQueue.MAX_SEGMENTS, taken);
        assertEquals(ReorderQueue.MAX_SEGMENTS, q.size());
        q.clear();

        ReorderQueue small = new ReorderQueue(80 * 1024, new ReorderBudget(64 << 20));
        ByteBuf big = frame(65536, 0);
        assertTrue(small.add(0, big, 0, 40000, false));
        assertFalse(small.add(70000, big, 0, 40000, false), "a second pinned 64 KiB frame exceeds 80 KiB");
        small.clear();
        big.release();
        f.release();
    }

    @Test
    void queuesShareTheStacksBudgetAndGiveBackWhatTheyRelease() {
        ReorderBudget budget = new ReorderBudget(10_000);
        ReorderQueue a = new ReorderQueue(8_000, budget);
        ReorderQueue b = new ReorderQueue(8_000, budget);
        ByteBuf f = frame(3000, 0);
        assertTrue(a.add(100, f, 0, 2000, false));
        assertTrue(a.add(3000, f, 0, 2000, false));
        assertTrue(b.add(100, f, 0, 2000, false));
        assertEquals(3 * (3000 + ReorderQueue.SEGMENT_OVERHEAD), budget.usedBytes());
        assertFalse(b.add(3000, f, 0, 2000, false), "a fourth segment exceeds the shared 10,000 bytes");
        assertEquals(1, b.size());

        ReorderQueue.Segment s = a.pollAt(100);
        s.data().release();
        assertEquals(2 * (3000 + ReorderQueue.SEGMENT_OVERHEAD), budget.usedBytes(), "a polled segment is given back");
        assertTrue(b.add(3000, f, 0, 2000, false));
        a.clear();
        b.clear();
        assertEquals(0, budget.usedBytes(), "clearing gives everything back");
        assertEquals(1, f.refCnt());
        f.release();
    }

    @Test
    void segmentsInsertedInReverseAcrossTheSequenceWrapComeOutInOrder() {
        ReorderQueue q = new ReorderQueue(4 << 20, new ReorderBudget(64 << 20));
        ByteBuf f = frame(64, 0);
        int start = -1000; // wraps from 0xffff_fc18 through 0
        for (int i = 1999; i >= 1; i--) {
            assertTrue(q.add(start + i, f, i % 64, 1, false));
        }
        assertTrue(q.add(start + 500, f, 0, 1, false), "a duplicate is taken");
        assertEquals(1999, q.size());
        int rcvNxt = start + 1;
        ReorderQueue.Segment s;
        while ((s = q.pollAt(rcvNxt)) != null) {
            assertEquals(rcvNxt, s.seq());
            rcvNxt = s.end();
            s.data().release();
        }
        assertEquals(start + 2000, rcvNxt);
        assertNull(q.pollAt(rcvNxt));
        assertTrue(q.isEmpty());
        f.release();
    }
}
