package dev.rootlessjkit.net.usernet.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * The receive side of a flow, guest to host (RFC 9293 3.3.1's RCV variables): where the guest's stream is up to,
 * which segments the receive window accepts, in-order delivery to the host socket with out-of-order segments held
 * in a {@link ReorderQueue} until the gap before them is filled, and the window we advertise.
 *
 * <p>Buffers: the guest's frames stay the caller's; what is written to the host socket is a retained slice of them
 * (no copy), which the socket releases once written. Segments polled from the reorder queue are released here.
 */
final class TcpReceiver {
    /** {@link #deliver}'s result bits. */
    static final int DELIVERED_DATA = 1;
    static final int DELIVERED_FIN = 2;

    private final int receiveBuffer;
    private final ReorderQueue reorder;
    private int guestIsn;
    private int rcvNxt;
    /** Our window-scale shift: what the guest shifts our advertised window by. */
    private int rcvWscale;
    private boolean finReceived;
    /** Whether a write to the host socket waits to tell us it drained, so that the reopened window can be sent. */
    private boolean windowWatch;

    TcpReceiver(int receiveBuffer, ReorderQueue reorder) {
        this.receiveBuffer = receiveBuffer;
        this.reorder = reorder;
    }

    /** The guest's SYN carried {@code isn}: the stream starts after it. */
    void synchronize(int isn) {
        guestIsn = isn;
        rcvNxt = SeqNum.add(isn, 1);
    }

    int guestIsn() {
        return guestIsn;
    }

    int rcvNxt() {
        return rcvNxt;
    }

    boolean finReceived() {
        return finReceived;
    }

    int windowShift() {
        return rcvWscale;
    }

    void windowShift(int shift) {
        rcvWscale = shift;
    }

    /** Out-of-order segments held. */
    int heldSegments() {
        return reorder.size();
    }

    /** The memory the held segments pin, as charged. */
    int pinnedBytes() {
        return reorder.pinnedBytes();
    }

    /** RFC 9293 3.10.7.4's acceptance test: whether a segment of {@code length} (payload, FIN) fits the window. */
    boolean acceptable(int seq, int length, int window) {
        if (length == 0) {
            return window == 0 ? seq == rcvNxt : SeqNum.inWindow(seq, rcvNxt, window);
        }
        if (window == 0) {
            return false;
        }
        return SeqNum.inWindow(seq, rcvNxt, window) || SeqNum.inWindow(SeqNum.add(seq, length - 1), rcvNxt, window);
    }

    /** Whether {@code seq} is ahead of what we expect next: the segment goes to the reorder queue. */
    boolean ahead(int seq) {
        return SeqNum.greaterThan(seq, rcvNxt);
    }

    /** Holds a segment that arrived ahead of RCV.NXT (retained or copied: the packet stays the caller's). */
    void hold(int seq, ByteBuf packet, int offset, int length, boolean fin) {
        reorder.add(seq, packet, offset, length, fin);
    }

    /**
     * Writes the in-order segment {@code packet[offset, offset+length)} starting at {@code seq} (at or before
     * RCV.NXT) to {@code host}, then whatever held segments it makes contiguous, up to a FIN. Returns
     * {@link #DELIVERED_DATA} and {@link #DELIVERED_FIN} bits; the caller flushes the host and, on a FIN, shuts
     * down its output once what is written is out.
     */
    int deliver(int seq, ByteBuf packet, int offset, int length, boolean fin, Channel host) {
        int skip = SeqNum.distance(seq, rcvNxt);
        int result = deliver(packet, offset + skip, length - skip, fin, host);
        ReorderQueue.Segment next;
        while (!finReceived && (next = reorder.pollAt(rcvNxt)) != null) {
            int k = SeqNum.distance(next.seq(), rcvNxt);
            ByteBuf b = next.data();
            result |= deliver(b, b.readerIndex() + k, b.readableBytes() - k, next.fin(), host);
            b.release();
        }
        return result;
    }

    private int deliver(ByteBuf buf, int offset, int length, boolean fin, Channel host) {
        int result = 0;
        if (length > 0) {
            // No copy: the host socket writes straight from the guest's frame.
            host.write(buf.retainedSlice(offset, length), host.voidPromise());
            rcvNxt = SeqNum.add(rcvNxt, length);
            result = DELIVERED_DATA;
        }
        if (fin) {
            rcvNxt = SeqNum.add(rcvNxt, 1);
            finReceived = true;
            reorder.clear();
            result |= DELIVERED_FIN;
        }
        return result;
    }

    /** What the host socket's outbound buffer can still take: the receive window in bytes. */
    int windowBytes(Channel host) {
        if (host == null || finReceived) {
            return receiveBuffer;
        }
        return (int) Math.min(receiveBuffer, host.bytesBeforeUnwritable());
    }

    /** The window field for {@code windowBytes}: scaled, and at most 16 bits. */
    int windowField(int windowBytes) {
        return Math.min(0xffff, windowBytes >> rcvWscale);
    }

    /**
     * Whether the window has closed to below half while the host socket is slow and no watch runs yet: then the
     * caller watches the socket drain (see {@link #windowWatchEnded}) to tell the guest the window reopened.
     */
    boolean startWindowWatch(int windowBytes, boolean hostConnected) {
        if (!windowWatch && !finReceived && hostConnected && windowBytes < receiveBuffer / 2) {
            windowWatch = true;
            return true;
        }
        return false;
    }

    void windowWatchEnded() {
        windowWatch = false;
    }

    /** Releases every held segment. */
    void clear() {
        reorder.clear();
    }
}
