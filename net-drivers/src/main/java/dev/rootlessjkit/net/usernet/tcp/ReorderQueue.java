package dev.rootlessjkit.net.usernet.tcp;

import io.netty.buffer.ByteBuf;
import java.util.Map;
import java.util.TreeMap;

/**
 * Guest segments that arrived ahead of RCV.NXT, kept until the gap before them is filled. Sorted by sequence number
 * in a tree, so a guest sending a long stream of out-of-order segments costs O(log n) per segment, not O(n).
 *
 * <p>What is charged against the byte limit is the memory a segment pins, not its payload: the capacity of the
 * buffer kept plus a per-segment overhead, as Linux charges an skb's truesize. A small payload is copied out of its
 * receive frame (which may be a 64 KiB buffer), so one-byte segments cannot pin 64 KiB each. The same charge is
 * also taken from the stack-wide {@link ReorderBudget}, so that many connections cannot add up to more than it.
 */
final class ReorderQueue {
    /**
     * Segments queued at most, whatever their size: with the overhead below and a 4 MiB window, 1-byte segments
     * would otherwise allow ~8,000 entries; 2,048 covers a whole 4 MiB window of 2 KiB segments, more reordering than
     * a TAP device ever shows, and keeps the tree shallow.
     */
    static final int MAX_SEGMENTS = 2048;
    /** Bookkeeping charged per segment (tree node, record, buffer object): roughly what they take on the heap. */
    static final int SEGMENT_OVERHEAD = 256;

    private final int maxBytes;
    private final ReorderBudget budget;
    /** By sequence number; the comparison is modulo 2^32, which is consistent within a window of less than 2 GiB. */
    private final TreeMap<Integer, Segment> segments = new TreeMap<>(SeqNum::compare);
    private int pinnedBytes;

    ReorderQueue(int maxBytes, ReorderBudget budget) {
        this.maxBytes = maxBytes;
        this.budget = budget;
    }

    record Segment(int seq, ByteBuf data, boolean fin, int charge) {
        int end() {
            return SeqNum.add(seq, data.readableBytes());
        }
    }

    boolean isEmpty() {
        return segments.isEmpty();
    }

    int size() {
        return segments.size();
    }

    /** The memory charged for what is queued: buffer capacities plus per-segment overhead. */
    int pinnedBytes() {
        return pinnedBytes;
    }

    /**
     * Keeps the segment's payload {@code packet[offset, offset+length)}, retained or copied; false when it does not
     * fit in this queue or in the stack's budget (the guest will resend it). A segment wholly covered by one already queued is taken as a duplicate.
     */
    boolean add(int seq, ByteBuf packet, int offset, int length, boolean fin) {
        Map.Entry<Integer, Segment> before = segments.floorEntry(seq);
        if (before != null && SeqNum.greaterOrEqual(before.getValue().end(), SeqNum.add(seq, length))
                && (!fin || before.getValue().fin())) {
            return true;
        }
        Segment same = segments.get(seq);
        if (same == null && segments.size() >= MAX_SEGMENTS) {
            return false;
        }
        // Copy when the payload is less than half of the buffer it sits in: the copy pins only what it holds.
        boolean copy = length < packet.capacity() / 2;
        int charge = (copy ? length : packet.capacity()) + SEGMENT_OVERHEAD;
        int freed = same == null ? 0 : same.charge();
        int growth = charge - freed;
        if (pinnedBytes + growth > maxBytes || growth > 0 && !budget.take(growth)) {
            return false;
        }
        if (growth < 0) {
            budget.give(-growth);
        }
        ByteBuf data;
        if (copy) {
            data = packet.alloc().directBuffer(length, length);
            data.writeBytes(packet, offset, length);
        } else {
            data = packet.retainedSlice(offset, length);
        }
        if (same != null) {
            same.data().release();
        }
        segments.put(seq, new Segment(seq, data, fin, charge));
        pinnedBytes += growth;
        return true;
    }

    /**
     * The next segment that starts at or before {@code rcvNxt}, removed from the queue, or null. Segments wholly
     * before it are dropped on the way. The caller releases the returned segment's data.
     */
    Segment pollAt(int rcvNxt) {
        Map.Entry<Integer, Segment> first;
        while ((first = segments.firstEntry()) != null) {
            Segment s = first.getValue();
            if (SeqNum.greaterThan(s.seq, rcvNxt)) {
                return null;
            }
            segments.pollFirstEntry();
            pinnedBytes -= s.charge();
            budget.give(s.charge());
            if (SeqNum.greaterThan(s.end(), rcvNxt) || (s.fin && s.end() == rcvNxt)) {
                return s;
            }
            s.data.release();
        }
        return null;
    }

    void clear() {
        for (Segment s : segments.values()) {
            s.data.release();
        }
        segments.clear();
        budget.give(pinnedBytes);
        pinnedBytes = 0;
    }
}
