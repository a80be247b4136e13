package dev.rootlessjkit.net.usernet.tcp;

import io.netty.buffer.ByteBuf;

/**
 * The send side of a flow, host to guest (RFC 9293 3.3.1's SND variables): the host's bytes the guest has not
 * acknowledged ({@link SendQueue}, from SND.UNA on), how much of them the guest's window lets out, our FIN's place
 * after them, and what an acknowledgment from the guest does to all of that. It decides what may be sent; the flow
 * puts the segments on the wire.
 *
 * <p>Buffers: the queue owns what the host socket read until the guest acknowledges it (see {@link SendQueue}).
 */
final class TcpSender {
    private final int iss;
    private final SendQueue queue = new SendQueue();
    private int sndUna;
    private int sndNxt;
    /** The highest SND.NXT so far: a retransmission timeout moves SND.NXT back, not this. */
    private int sndMax;
    private int sndWnd;
    private int sndWl1;
    private int sndWl2;
    /** The guest's window-scale shift: what its window field is shifted by. */
    private int sndWscale;
    private int mss;
    /** The most payload put in one segment: the MSS, or 64 KiB less headers when the guest splits segments. */
    private int maxSegment;
    private boolean hostEof;
    private boolean finQueued;
    private int finSeq;
    private boolean hostReadPaused;
    private int dupAcks;

    TcpSender(int iss) {
        this.iss = iss;
        this.sndUna = iss;
        this.sndNxt = iss;
        this.sndMax = iss;
        this.sndWl2 = iss;
    }

    int iss() {
        return iss;
    }

    int sndUna() {
        return sndUna;
    }

    int sndNxt() {
        return sndNxt;
    }

    int mss() {
        return mss;
    }

    /** Bytes held for the guest: sent and unacknowledged, or not sent yet. */
    int queued() {
        return queue.size();
    }

    /** What {@link TcpOutput} copies segment payloads from. */
    SendQueue sendQueue() {
        return queue;
    }

    /** The segment sizes the SYN exchange settled on, and the shift of the guest's window field. */
    void segmentSizes(int mss, int maxSegment, int windowShift) {
        this.mss = mss;
        this.maxSegment = maxSegment;
        this.sndWscale = windowShift;
    }

    /** The guest's window from its SYN (unscaled, as RFC 7323 says for a SYN's window). */
    void initialWindow(int window, int wl1) {
        sndWnd = window;
        sndWl1 = wl1;
    }

    /** Our SYN (or SYN-ACK) went out: it takes one sequence number. */
    void synSent() {
        sndNxt = SeqNum.add(iss, 1);
        sndMax = sndNxt;
    }

    /** Whether {@code ack} acknowledges our SYN: exactly ISS + 1. */
    boolean acksSyn(int ack) {
        return ack == SeqNum.add(iss, 1);
    }

    /** The guest acknowledged our SYN in a segment with {@code window} (already scaled, or a SYN-ACK's). */
    void synAcked(int seq, int ack, int window) {
        sndUna = SeqNum.add(iss, 1);
        sndWnd = window;
        sndWl1 = seq;
        sndWl2 = ack;
    }

    /** The guest's window field shifted by its scale. */
    int scaledWindow(int windowField) {
        return windowField << sndWscale;
    }

    // ---- what may go out ----

    /** Takes ownership of {@code data}; true when the queue has reached {@code sendBuffer} and reading must pause. */
    boolean queue(ByteBuf data, int sendBuffer) {
        queue.add(data);
        if (!hostReadPaused && queue.size() >= sendBuffer) {
            hostReadPaused = true;
            return true;
        }
        return false;
    }

    /** Bytes sent and not acknowledged: the offset of SND.NXT in the queue. */
    int inFlight() {
        return SeqNum.distance(sndUna, sndNxt);
    }

    /** The payload of the next new segment the window and the queue allow, 0 when none. */
    int nextSegmentLength() {
        int offset = inFlight();
        int unsent = queue.size() - offset;
        int room = sndWnd - offset;
        if (unsent <= 0 || room <= 0) {
            return 0;
        }
        return Math.min(unsent, Math.min(maxSegment, room));
    }

    /** Whether a segment of {@code length} from SND.NXT takes the last byte queued (it gets PSH). */
    boolean endsQueue(int length) {
        return length == queue.size() - inFlight();
    }

    /** {@code length} bytes went out from SND.NXT. */
    void sent(int length) {
        sndNxt = SeqNum.add(sndNxt, length);
        sndMax = SeqNum.max(sndNxt, sndMax);
    }

    /** The host closed its side: a FIN follows the queued bytes. */
    void hostEof() {
        hostEof = true;
    }

    boolean hostEofSeen() {
        return hostEof;
    }

    /**
     * Whether our FIN takes its place now: the host has closed and every queued byte is sent. True once; from then
     * on {@link #finDue} says when it goes (again) on the wire.
     */
    boolean placeFin() {
        if (hostEof && !finQueued && inFlight() == queue.size()) {
            finQueued = true;
            finSeq = sndNxt;
            return true;
        }
        return false;
    }

    boolean finQueued() {
        return finQueued;
    }

    int finSeq() {
        return finSeq;
    }

    /** Whether our FIN is the next thing to send. */
    boolean finDue() {
        return finQueued && sndNxt == finSeq;
    }

    /** Our FIN went out. */
    void finSent() {
        sndNxt = SeqNum.add(finSeq, 1);
        sndMax = SeqNum.max(sndNxt, sndMax);
    }

    /** Whether data waits for a zero window to open, with nothing in flight to bring an update: probe it. */
    boolean stalledOnZeroWindow() {
        return sndNxt == sndUna && queue.size() > 0 && sndWnd == 0;
    }

    // ---- acknowledgments ----

    /** Whether {@code ack} acknowledges something never sent (RFC 9293: answered with an ACK, then dropped). */
    boolean acksUnsent(int ack) {
        return SeqNum.greaterThan(ack, sndMax);
    }

    /** Whether {@code ack} acknowledges new data. */
    boolean acksNew(int ack) {
        return SeqNum.greaterThan(ack, sndUna);
    }

    /** Moves SND.UNA to {@code ack} (see {@link #acksNew}), dropping the acknowledged bytes from the queue. */
    void acknowledge(int ack) {
        int acked = SeqNum.distance(sndUna, ack);
        queue.discard(Math.min(acked, queue.size()));
        sndUna = ack;
        if (SeqNum.lessThan(sndNxt, sndUna)) {
            sndNxt = sndUna;
        }
        dupAcks = 0;
    }

    /** Whether everything sent is acknowledged. */
    boolean allAcknowledged() {
        return sndUna == sndMax;
    }

    /** Whether our FIN is acknowledged. */
    boolean finAcknowledged() {
        return finQueued && SeqNum.greaterThan(sndUna, finSeq);
    }

    /** Whether host reading, paused by {@link #queue}, may go on: the queue has drained below half. */
    boolean resumeReading(int sendBuffer) {
        if (hostReadPaused && queue.size() < sendBuffer / 2) {
            hostReadPaused = false;
            return true;
        }
        return false;
    }

    /**
     * Counts a duplicate ACK (RFC 5681: no data, no FIN, same window, something outstanding); true at the third,
     * when the first unacknowledged segment is sent again.
     */
    boolean duplicateAck(int ack, boolean carriesData, int window) {
        return ack == sndUna && !carriesData && window == sndWnd && sndMax != sndUna && ++dupAcks == 3;
    }

    /** RFC 9293 3.10.7.4: the window is taken from a segment no older than the one it was last taken from. */
    void updateWindow(int seq, int ack, int window) {
        if (SeqNum.lessThan(sndWl1, seq) || (sndWl1 == seq && SeqNum.lessOrEqual(sndWl2, ack))) {
            sndWnd = window;
            sndWl1 = seq;
            sndWl2 = ack;
        }
    }

    // ---- retransmission ----

    /** Payload of the first unacknowledged segment when it is sent again: 0 when only our FIN is outstanding. */
    int firstSegmentLength() {
        return Math.min(queue.size(), mss);
    }

    /** Whether our FIN is the first unacknowledged thing. */
    boolean finFirstUnacknowledged() {
        return finQueued && sndUna == finSeq;
    }

    /** Whether a window probe is due: data waits for a zero window and nothing is in flight. */
    boolean zeroWindowProbeWanted() {
        return queue.size() > 0 && sndWnd == 0;
    }

    /** After a timeout, the first segment went out again: SND.NXT follows it, and ACKs clock out the rest. */
    void wentBackToFirst() {
        dupAcks = 0;
        int queued = queue.size();
        sndNxt = SeqNum.add(sndUna, Math.min(queued, mss));
        if (queued == 0 && finQueued) {
            sndNxt = SeqNum.add(finSeq, 1);
        }
    }

    /** Releases what is queued. */
    void clear() {
        queue.clear();
    }
}
