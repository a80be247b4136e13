package dev.rootlessjkit.net.usernet.tcp;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest segments that arrived ahead of RCV.NXT, kept (up to a byte limit) until the gap before them is filled.
 * Sorted by sequence number; a short list, since reordering on a TAP device is rare and shallow.
 */
final class ReorderQueue {
    private final int maxBytes;
    private final List<Segment> segments = new ArrayList<>();
    private int bytes;

    ReorderQueue(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    record Segment(int seq, ByteBuf data, boolean fin) {
        int end() {
            return seq + data.readableBytes();
        }
    }

    boolean isEmpty() {
        return segments.isEmpty();
    }

    /** Keeps a retained copy of the segment's view; false when it does not fit (the guest will resend it). */
    boolean add(int seq, ByteBuf data, boolean fin) {
        int len = data.readableBytes();
        if (bytes + len > maxBytes) {
            return false;
        }
        int i = 0;
        while (i < segments.size() && segments.get(i).seq - seq < 0) {
            i++;
        }
        if (i < segments.size() && segments.get(i).seq == seq && segments.get(i).data.readableBytes() >= len) {
            return true;
        }
        segments.add(i, new Segment(seq, data.retain(), fin));
        bytes += len;
        return true;
    }

    /**
     * The next segment that starts at or before {@code rcvNxt}, removed from the queue, or null. Segments wholly
     * before it are dropped on the way.
     */
    Segment pollAt(int rcvNxt) {
        while (!segments.isEmpty()) {
            Segment s = segments.get(0);
            if (s.seq - rcvNxt > 0) {
                return null;
            }
            segments.remove(0);
            bytes -= s.data.readableBytes();
            if (s.end() - rcvNxt > 0 || (s.fin && s.end() == rcvNxt)) {
                return s;
            }
            s.data.release();
        }
        return null;
    }

    void clear() {
        for (Segment s : segments) {
            s.data.release();
        }
        segments.clear();
        bytes = 0;
    }
}
