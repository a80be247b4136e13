package dev.rootlessjkit.net.usernet.tcp;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Timers;
import dev.rootlessjkit.net.usernet.flow.FlowEntry;
import dev.rootlessjkit.net.usernet.flow.FlowKey;
import dev.rootlessjkit.net.usernet.header.Tcp;
import dev.rootlessjkit.net.usernet.stack.IpPair;
import dev.rootlessjkit.net.usernet.stack.Batch;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.DuplexChannel;

/**
 * One guest TCP connection, terminated here and relayed to its host socket. The guest side is a TCP endpoint in
 * the passive role (RFC 9293 states from SYN-RECEIVED on) for connections the guest opens, or in the active role
 * (from SYN-SENT on) for a client accepted on a published port, which the stack connects to the guest; the host
 * side is a plain non-blocking socket whose
 * buffers give the flow control: the window offered to the guest is what the host socket's outbound buffer can
 * still take, and reading from the host stops while the guest has not acknowledged enough of what it was sent.
 */
final class TcpFlow extends FlowEntry implements Batch.Deferred {
    enum State {
        CONNECTING, SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, FIN_WAIT_2, CLOSING, LAST_ACK, TIME_WAIT,
        CLOSED
    }

    /** Retransmissions of one segment before the connection is given up (Linux's tcp_retries2 is 15). */
    static final int MAX_RETRIES = 12;
    static final int MAX_SYNACK_RETRIES = 5;
    /** Linux's tcp_syn_retries is 6; a guest that does not answer within about a minute is not there. */
    static final int MAX_SYN_RETRIES = 5;
    private static final int DEFAULT_MSS = 536;
    private static final int MIN_MSS = 64;
    /** An IPv4 packet's 65535 bytes less IP and TCP headers, rounded down to whole KiB. */
    private static final int MAX_OFFLOADED_PAYLOAD = 63 * 1024;
    /**
     * An established connection silent this long may be reset to make room for a new one when its table (or its
     * group's share) is full: long enough that a request/response exchange in progress is never cut.
     */
    static final long EVICTABLE_ESTABLISHED_NANOS = 30_000_000_000L;
    /** Half-open and closing connections are cheaper to lose: one second without a segment. */
    static final long EVICTABLE_TRANSIENT_NANOS = 1_000_000_000L;

    private final TcpNat nat;
    /** Our end (the peer as the guest sees it) and the guest's, IPv4 or IPv6. */
    final IpPair ip;
    final int guestPort;
    final int ourPort;
    private State state;
    /** The published port that accepted the client of an actively opened flow, else null. */
    private final PublishedTcpPort publishedBy;
    private Channel host;

    // Receive side: guest to host.
    private int guestIsn;
    private int rcvNxt;
    private int rcvWscale;
    private final ReorderQueue reorder;
    private boolean guestFin;
    private boolean windowWatch;

    // Send side: host to guest.
    private final int iss;
    private int sndUna;
    private int sndNxt;
    private int sndMax;
    private int sndWnd;
    private int sndWl1;
    private int sndWl2;
    private int sndWscale;
    private boolean windowScaling;
    private int mss;
    /** The most payload put in one segment: the MSS, or 64 KiB less headers when the guest splits segments. */
    private int maxSegment;
    private final SendQueue sendQueue = new SendQueue();
    private boolean hostEof;
    private boolean finSent;
    private int finSeq;
    private boolean hostReadPaused;
    private int dupAcks;
    /** Whether our SYN was already sent again at once after resetting what the guest's ACK belonged to. */
    private boolean synResentAfterReset;

    // Timers.
    private final RtoEstimator rto = new RtoEstimator();
    private Timers.Timeout timer;
    private long timerAt;
    private long deadline;
    private int retries;
    private boolean rttActive;
    private int rttSeq;
    private long rttStart;

    // Idle timeout (since FlowEntry.lastActive): one chain of checks at a time; arming a new one orphans the old.
    private int idleGeneration;
    private long idleCheckAt;

    // End-of-batch work.
    private boolean deferred;
    private boolean ackWanted;
    private boolean hostFlushWanted;

    TcpFlow(TcpNat nat, FlowKey key, Object source, Object destination, IpPair ip, int guestPort, int ourPort, int guestIsn, int guestWindow, int guestMss, int guestWscale, int iss) {
        super(key, source, destination, nat.timers().nanoTime());
        this.nat = nat;
        this.ip = ip;
        this.guestPort = guestPort;
        this.ourPort = ourPort;
        this.state = State.CONNECTING;
        this.publishedBy = null;
        this.guestIsn = guestIsn;
        this.rcvNxt = guestIsn + 1;
        this.iss = iss;
        this.sndUna = iss;
        this.sndNxt = iss;
        this.sndMax = iss;
        this.sndWnd = guestWindow;
        this.sndWl1 = guestIsn;
        this.sndWl2 = iss;
        negotiate(guestMss, guestWscale);
        this.reorder = new ReorderQueue(nat.receiveBuffer(), nat.reorderBudget());
    }

    /**
     * Active open for {@code client}, accepted on {@code port}: the flow starts in SYN-SENT once {@link #openToGuest}
     * sends the SYN. The client's socket is not read until the guest has answered.
     */
    TcpFlow(TcpNat nat, FlowKey key, Object source, IpPair ip, int guestPort, int ourPort, Channel client, PublishedTcpPort port, int iss) {
        super(key, source, port, nat.timers().nanoTime());
        this.nat = nat;
        this.ip = ip;
        this.guestPort = guestPort;
        this.ourPort = ourPort;
        this.state = State.SYN_SENT;
        this.publishedBy = port;
        this.host = client;
        this.iss = iss;
        this.sndUna = iss;
        this.sndNxt = iss;
        this.sndMax = iss;
        this.sndWl2 = iss;
        // Until the SYN-ACK says otherwise: our own MSS, and the window scale we offer in the SYN.
        this.mss = ourMss();
        this.maxSegment = mss;
        this.rcvWscale = receiveShift();
        this.reorder = new ReorderQueue(nat.receiveBuffer(), nat.reorderBudget());
    }

    /** The peer's MSS and window-scale options from its SYN or SYN-ACK. */
    private void negotiate(int peerMssOption, int peerWscale) {
        int peerMss = peerMssOption == Tcp.ABSENT ? DEFAULT_MSS : Math.max(MIN_MSS, peerMssOption);
        this.mss = Math.min(peerMss, ourMss());
        this.maxSegment = ip.offloads() ? Math.max(mss, MAX_OFFLOADED_PAYLOAD) : mss;
        // Window scaling is used only when both sides offer it (RFC 7323).
        this.windowScaling = peerWscale != Tcp.ABSENT;
        if (!windowScaling) {
            this.sndWscale = 0;
            this.rcvWscale = 0;
        } else {
            this.sndWscale = Math.min(peerWscale, 14);
            this.rcvWscale = receiveShift();
        }
    }

    /** The MSS our MTU allows: the MTU less this flow's IP header and a TCP header without options. */
    private int ourMss() {
        return ip.maxL4() - Tcp.MIN_HEADER_LENGTH;
    }

    private int receiveShift() {
        int shift = 0;
        while ((nat.receiveBuffer() >> shift) > 0xffff) {
            shift++;
        }
        return shift;
    }

    @Override
    protected boolean evictable(long now) {
        long idle = now - lastActive;
        return idle >= (state == State.ESTABLISHED ? EVICTABLE_ESTABLISHED_NANOS : EVICTABLE_TRANSIENT_NANOS);
    }

    /**
     * Bytes the flow holds: out-of-order segments (as charged: the memory they pin), host data for the guest, and
     * guest data written to the host socket but not yet taken by the kernel.
     */
    long bufferedBytes() {
        ChannelOutboundBuffer pending = host == null ? null : host.unsafe().outboundBuffer();
        return reorder.pinnedBytes() + sendQueue.size() + (pending == null ? 0 : pending.totalPendingWriteBytes());
    }

    /** Out-of-order segments held. */
    int heldSegments() {
        return reorder.size();
    }

    /** The sequence number of the guest's SYN. */
    int guestIsn() {
        return guestIsn;
    }

    State state() {
        return state;
    }

    // ---- host connection ----

    /**
     * The host socket being connected for this flow: if the flow ends first (evicted, the stack closed), the socket
     * is closed with it instead of holding its descriptor until the connect completes or times out.
     */
    void connecting(Channel channel) {
        host = channel;
    }

    void hostConnected(Channel channel) {
        host = channel;
        lastActive = nat.timers().nanoTime();
        armIdleCheck(nat.idleNanos());
        state = State.SYN_RECEIVED;
        sendSynAck();
        sndNxt = iss + 1;
        sndMax = sndNxt;
        startRtt(iss);
        restartTimer();
    }

    /** Sends the SYN of an actively opened flow. */
    void openToGuest() {
        lastActive = nat.timers().nanoTime();
        armIdleCheck(nat.idleNanos());
        sendSyn();
        sndNxt = iss + 1;
        sndMax = sndNxt;
        startRtt(iss);
        restartTimer();
    }

    void fromHost(ByteBuf data) {
        if (state == State.CLOSED) {
            data.release();
            return;
        }
        lastActive = nat.timers().nanoTime();
        sendQueue.add(data);
        if (!hostReadPaused && sendQueue.size() >= nat.sendBuffer()) {
            // The guest has this much unacknowledged: stop reading so the host's sender feels the backpressure.
            hostReadPaused = true;
            host.config().setAutoRead(false);
        }
    }

    void hostEof() {
        hostEof = true;
        transmit();
    }

    void hostClosed() {
        // A failed connect is answered by the connect listener.
        if (state == State.CONNECTING || state == State.CLOSED || state == State.TIME_WAIT) {
            return;
        }
        if (hostEof && guestFin && (state == State.LAST_ACK || state == State.CLOSING)) {
            // Both directions are done; our FIN only waits for its ACK, which needs no host socket.
            return;
        }
        abort();
    }

    // ---- guest segments ----

    void receive(Segment s) {
        if (state == State.CONNECTING || state == State.CLOSED) {
            // A retransmitted SYN while the host connect runs: the SYN-ACK follows the connect.
            return;
        }
        lastActive = nat.timers().nanoTime();
        if (state == State.SYN_SENT) {
            synSent(s);
            return;
        }
        if (s.has(Tcp.RST)) {
            onReset(s);
            return;
        }
        if (s.has(Tcp.SYN)) {
            if (state == State.SYN_RECEIVED && s.seq == rcvNxt - 1) {
                sendSynAck();
            } else {
                // RFC 5961: a SYN on a synchronized connection gets a challenge ACK, never a reset of the flow.
                sendAck();
            }
            return;
        }
        if (!s.has(Tcp.ACK)) {
            return;
        }
        if (state == State.SYN_RECEIVED) {
            if (s.ack != iss + 1) {
                nat.output().rst(ip, ourPort, guestPort, s.ack, 0, Tcp.RST);
                return;
            }
            establish(s);
        }
        if (!acceptable(s)) {
            nat.counters().increment(Counter.TCP_OUT_OF_WINDOW);
            sendAck();
            return;
        }
        if (!onAck(s) || state == State.CLOSED) {
            return;
        }
        onData(s);
        transmit();
    }

    /** RFC 9293 3.10.7.3: the guest's answer to our SYN. */
    private void synSent(Segment s) {
        if (s.has(Tcp.ACK) && s.ack != iss + 1) {
            if (!s.has(Tcp.RST)) {
                nat.output().rst(ip, ourPort, guestPort, s.ack, 0, Tcp.RST);
                if (!synResentAfterReset) {
                    // The guest answered from an old connection in TIME-WAIT, which the RST has ended: our SYN now
                    // finds the listener. Sent again at once (only once), not after a retransmission timeout.
                    synResentAfterReset = true;
                    sendSyn();
                }
            }
            return;
        }
        if (s.has(Tcp.RST)) {
            if (s.has(Tcp.ACK)) {
                // Nothing listens on the guest's port: the client learns it at once, as a reset.
                nat.counters().increment(Counter.TCP_RST_RECEIVED);
                resetHost();
                finish();
            }
            return;
        }
        if (!s.has(Tcp.SYN) || !s.has(Tcp.ACK)) {
            // A simultaneous open would need the guest to connect to our ephemeral port: ignored.
            return;
        }
        guestIsn = s.seq;
        rcvNxt = s.seq + 1;
        negotiate(s.synMss, s.synWscale);
        // A SYN-ACK's window is never scaled (RFC 7323).
        sndWnd = s.window;
        sndWl1 = s.seq;
        sndWl2 = s.ack;
        sndUna = iss + 1;
        if (rttActive) {
            rto.sample(nat.timers().nanoTime() - rttStart);
            rttActive = false;
        }
        rto.resetBackoff();
        retries = 0;
        stopTimer();
        state = State.ESTABLISHED;
        sendAck();
        host.config().setAutoRead(true);
    }

    private void establish(Segment s) {
        state = State.ESTABLISHED;
        sndUna = iss + 1;
        if (rttActive) {
            rto.sample(nat.timers().nanoTime() - rttStart);
            rttActive = false;
        }
        rto.resetBackoff();
        retries = 0;
        stopTimer();
        sndWnd = s.window << sndWscale;
        sndWl1 = s.seq;
        sndWl2 = s.ack;
        host.config().setAutoRead(true);
    }

    /** RFC 9293 3.10.7.4's acceptance test against the receive window. */
    private boolean acceptable(Segment s) {
        int wnd = windowBytes();
        int len = s.payloadLength + (s.has(Tcp.FIN) ? 1 : 0);
        if (len == 0) {
            return wnd == 0 ? s.seq == rcvNxt : SeqNum.inWindow(s.seq, rcvNxt, wnd);
        }
        if (wnd == 0) {
            return false;
        }
        return SeqNum.inWindow(s.seq, rcvNxt, wnd) || SeqNum.inWindow(SeqNum.add(s.seq, len - 1), rcvNxt, wnd);
    }

    private void onReset(Segment s) {
        if (s.seq == rcvNxt) {
            nat.counters().increment(Counter.TCP_RST_RECEIVED);
            resetHost();
            finish();
        } else if (SeqNum.inWindow(s.seq, rcvNxt, Math.max(windowBytes(), 1))) {
            sendAck();
        }
    }

    /** Processes the acknowledgment field; false when the segment must be dropped. */
    private boolean onAck(Segment s) {
        if (SeqNum.greaterThan(s.ack, sndMax)) {
            sendAck();
            return false;
        }
        int newWindow = s.window << sndWscale;
        if (SeqNum.greaterThan(s.ack, sndUna)) {
            int acked = SeqNum.distance(sndUna, s.ack);
            sendQueue.discard(Math.min(acked, sendQueue.size()));
            sndUna = s.ack;
            if (SeqNum.lessThan(sndNxt, sndUna)) {
                sndNxt = sndUna;
            }
            if (rttActive && SeqNum.greaterThan(s.ack, rttSeq)) {
                rto.sample(nat.timers().nanoTime() - rttStart);
                rttActive = false;
            }
            rto.resetBackoff();
            retries = 0;
            dupAcks = 0;
            if (sndUna == sndMax) {
                stopTimer();
            } else {
                restartTimer();
            }
            if (finSent && SeqNum.greaterThan(sndUna, finSeq)) {
                ourFinAcked();
                if (state == State.CLOSED) {
                    return false;
                }
            }
            if (hostReadPaused && sendQueue.size() < nat.sendBuffer() / 2) {
                hostReadPaused = false;
                host.config().setAutoRead(true);
            }
        } else if (s.ack == sndUna && s.payloadLength == 0 && !s.has(Tcp.FIN) && newWindow == sndWnd
                && sndMax != sndUna) {
            if (++dupAcks == 3) {
                nat.counters().increment(Counter.TCP_RETRANSMITS);
                rttActive = false;
                resendFirst();
            }
        }
        if (SeqNum.lessThan(sndWl1, s.seq) || (sndWl1 == s.seq && SeqNum.lessOrEqual(sndWl2, s.ack))) {
            sndWnd = newWindow;
            sndWl1 = s.seq;
            sndWl2 = s.ack;
        }
        return true;
    }

    private void ourFinAcked() {
        switch (state) {
            case FIN_WAIT_1 -> state = State.FIN_WAIT_2;
            case CLOSING -> enterTimeWait();
            case LAST_ACK -> finish();
            default -> {
            }
        }
    }

    private void onData(Segment s) {
        boolean fin = s.has(Tcp.FIN);
        if (s.payloadLength == 0 && !fin) {
            return;
        }
        if (guestFin) {
            // Nothing follows a FIN; this is a retransmission. Tell the guest where we are.
            sendAck();
            return;
        }
        if (SeqNum.greaterThan(s.seq, rcvNxt)) {
            nat.counters().increment(Counter.TCP_OUT_OF_ORDER);
            reorder.add(s.seq, s.packet, s.payloadOffset, s.payloadLength, fin);
            // An immediate duplicate ACK lets the guest retransmit fast.
            sendAck();
            return;
        }
        int skip = SeqNum.distance(s.seq, rcvNxt);
        deliver(s.packet, s.payloadOffset + skip, s.payloadLength - skip, fin);
        ReorderQueue.Segment next;
        while (!guestFin && (next = reorder.pollAt(rcvNxt)) != null) {
            int k = SeqNum.distance(next.seq(), rcvNxt);
            ByteBuf b = next.data();
            deliver(b, b.readerIndex() + k, b.readableBytes() - k, next.fin());
            b.release();
        }
        deferAck();
    }

    private void deliver(ByteBuf buf, int offset, int length, boolean fin) {
        if (length > 0) {
            // No copy: the host socket writes straight from the guest's frame.
            host.write(buf.retainedSlice(offset, length), host.voidPromise());
            rcvNxt += length;
            deferHostFlush();
        }
        if (fin) {
            rcvNxt++;
            guestFin = true;
            armIdleCheck(nat.halfClosedIdleNanos());
            reorder.clear();
            // The host gets its FIN once everything before it is written out.
            host.write(Unpooled.EMPTY_BUFFER).addListener(SHUTDOWN_OUTPUT);
            deferHostFlush();
            switch (state) {
                case ESTABLISHED -> state = State.CLOSE_WAIT;
                case FIN_WAIT_1 -> state = State.CLOSING;
                case FIN_WAIT_2 -> enterTimeWait();
                default -> {
                }
            }
        }
    }

    private static final ChannelFutureListener SHUTDOWN_OUTPUT = f -> {
        if (f.isSuccess() && f.channel() instanceof DuplexChannel d) {
            d.shutdownOutput();
        }
    };

    // ---- sending to the guest ----

    /** Sends what the guest's window allows, then our FIN once the host has closed and everything is sent. */
    void transmit() {
        switch (state) {
            case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK -> {
            }
            default -> {
                return;
            }
        }
        int queued = sendQueue.size();
        while (true) {
            int offset = SeqNum.distance(sndUna, sndNxt);
            int unsent = queued - offset;
            int room = sndWnd - offset;
            if (unsent <= 0 || room <= 0) {
                break;
            }
            int len = Math.min(unsent, Math.min(maxSegment, room));
            emit(sndNxt, Tcp.ACK | (len == unsent ? Tcp.PSH : 0), offset, len);
            if (!rttActive) {
                startRtt(sndNxt);
            }
            sndNxt = SeqNum.add(sndNxt, len);
            sndMax = SeqNum.max(sndNxt, sndMax);
            ensureTimer();
        }
        if (hostEof && !finSent && SeqNum.distance(sndUna, sndNxt) == queued) {
            finSent = true;
            finSeq = sndNxt;
            armIdleCheck(nat.halfClosedIdleNanos());
            state = state == State.CLOSE_WAIT ? State.LAST_ACK : State.FIN_WAIT_1;
        }
        if (finSent && sndNxt == finSeq) {
            emit(finSeq, Tcp.ACK | Tcp.FIN, 0, 0);
            sndNxt = SeqNum.add(finSeq, 1);
            sndMax = SeqNum.max(sndNxt, sndMax);
            ensureTimer();
        }
        if (sndNxt == sndUna && queued > 0 && sndWnd == 0) {
            // Zero window: the timer probes it, or a lost window update would stall us for good.
            ensureTimer();
        }
    }

    private void emit(int seq, int flags, int dataOffset, int length) {
        nat.output().segment(ip, ourPort, guestPort, seq, rcvNxt, flags, advertisedWindow(),
                sendQueue, dataOffset, length, mss);
        ackWanted = false;
    }

    private void sendSynAck() {
        int window = Math.min(0xffff, windowBytes());
        nat.output().synAck(ip, ourPort, guestPort, iss, rcvNxt, window, ourMss(),
                windowScaling ? rcvWscale : TcpOutput.NO_WSCALE);
    }

    private void sendSyn() {
        nat.output().syn(ip, ourPort, guestPort, iss, Math.min(0xffff, windowBytes()), ourMss(),
                rcvWscale);
    }

    private void sendAck() {
        emit(sndNxt, Tcp.ACK, 0, 0);
    }

    private void resendFirst() {
        int queued = sendQueue.size();
        if (queued > 0) {
            int len = Math.min(queued, mss);
            emit(sndUna, Tcp.ACK | (len == queued ? Tcp.PSH : 0), 0, len);
        } else if (finSent && sndUna == finSeq) {
            emit(finSeq, Tcp.ACK | Tcp.FIN, 0, 0);
        }
    }

    /** What the host socket's outbound buffer can still take: the receive window in bytes. */
    private int windowBytes() {
        if (host == null || guestFin) {
            return nat.receiveBuffer();
        }
        return (int) Math.min(nat.receiveBuffer(), host.bytesBeforeUnwritable());
    }

    private int advertisedWindow() {
        int w = windowBytes();
        if (!windowWatch && !guestFin && host != null && w < nat.receiveBuffer() / 2) {
            // The window closes while the host socket is slow; tell the guest as soon as it has drained.
            windowWatch = true;
            host.write(Unpooled.EMPTY_BUFFER).addListener((ChannelFuture f) -> {
                windowWatch = false;
                if (f.isSuccess() && state != State.CLOSED) {
                    deferAck();
                }
            });
            deferHostFlush();
        }
        return Math.min(0xffff, w >> rcvWscale);
    }

    // ---- timers ----

    private void startRtt(int seq) {
        rttActive = true;
        rttSeq = seq;
        rttStart = nat.timers().nanoTime();
    }

    private void ensureTimer() {
        if (deadline == 0) {
            restartTimer();
        }
    }

    private void restartTimer() {
        long delay = rto.timeout();
        deadline = nat.timers().nanoTime() + delay;
        if (deadline == 0) {
            deadline = 1;
        }
        // A task already due by then finds the deadline and waits on; an earlier deadline needs its own task.
        if (timer == null || deadline - timerAt < 0) {
            if (timer != null) {
                timer.cancel();
            }
            scheduleTimer(delay);
        }
    }

    private void scheduleTimer(long delay) {
        timerAt = nat.timers().nanoTime() + delay;
        timer = nat.timers().schedule(this::onTimer, delay);
    }

    private void stopTimer() {
        // The scheduled task stays and finds no deadline: cheaper than cancelling and rescheduling per ACK.
        deadline = 0;
    }

    private void onTimer() {
        timer = null;
        if (deadline == 0 || state == State.CLOSED) {
            return;
        }
        long left = deadline - nat.timers().nanoTime();
        if (left > 0) {
            scheduleTimer(left);
            return;
        }
        deadline = 0;
        onRetransmitTimeout();
    }

    private void onRetransmitTimeout() {
        if (state == State.SYN_SENT || state == State.SYN_RECEIVED) {
            final boolean activeOpen = state == State.SYN_SENT;
            if (++retries > (activeOpen ? MAX_SYN_RETRIES : MAX_SYNACK_RETRIES)) {
                nat.counters().increment(Counter.TCP_ABORTED_TIMEOUT);
                abort();
                return;
            }
            rttActive = false;
            rto.backOff();
            nat.counters().increment(Counter.TCP_RETRANSMITS);
            if (activeOpen) {
                sendSyn();
            } else {
                sendSynAck();
            }
            restartTimer();
            return;
        }
        if (sndMax == sndUna) {
            if (sendQueue.size() > 0 && sndWnd == 0) {
                // Window probe: an old sequence number makes the guest answer with its current window.
                emit(sndUna - 1, Tcp.ACK, 0, 0);
                rto.backOff();
                restartTimer();
            }
            return;
        }
        if (++retries > MAX_RETRIES) {
            nat.counters().increment(Counter.TCP_ABORTED_TIMEOUT);
            abort();
            return;
        }
        nat.counters().increment(Counter.TCP_RETRANSMITS);
        rto.backOff();
        rttActive = false;
        dupAcks = 0;
        // Go back to the first unacknowledged byte; ACKs for it clock out the rest again.
        resendFirst();
        int queued = sendQueue.size();
        sndNxt = sndUna + Math.min(queued, mss);
        if (queued == 0 && finSent) {
            sndNxt = finSeq + 1;
        }
        restartTimer();
    }

    /** Makes sure the connection is checked for idleness within {@code limit}. */
    private void armIdleCheck(long limit) {
        long now = nat.timers().nanoTime();
        if (idleCheckAt != 0 && idleCheckAt - (now + limit) <= 0) {
            return;
        }
        scheduleIdleCheck(limit, ++idleGeneration);
    }

    private void scheduleIdleCheck(long delay, int generation) {
        idleCheckAt = nat.timers().nanoTime() + delay;
        nat.timers().schedule(() -> onIdleCheck(generation), delay);
    }

    private void onIdleCheck(int generation) {
        if (generation != idleGeneration || state == State.CLOSED || state == State.TIME_WAIT) {
            return;
        }
        long limit = guestFin || finSent ? nat.halfClosedIdleNanos() : nat.idleNanos();
        long idle = nat.timers().nanoTime() - lastActive;
        if (idle >= limit) {
            nat.counters().increment(Counter.TCP_IDLE_TIMEOUTS);
            abort();
        } else {
            scheduleIdleCheck(limit - idle, generation);
        }
    }

    private void enterTimeWait() {
        state = State.TIME_WAIT;
        stopTimer();
        closeHostGracefully();
        nat.timers().schedule(this::finish, nat.timeWaitNanos());
    }

    // ---- end of batch ----

    private void deferAck() {
        ackWanted = true;
        defer();
    }

    private void deferHostFlush() {
        hostFlushWanted = true;
        defer();
    }

    private void defer() {
        if (!deferred) {
            deferred = true;
            nat.batch().defer(this);
        }
    }

    @Override
    public void runAtBatchEnd() {
        deferred = false;
        if (state == State.CLOSED) {
            return;
        }
        if (hostFlushWanted) {
            hostFlushWanted = false;
            host.flush();
        }
        if (ackWanted) {
            sendAck();
        }
    }

    // ---- teardown ----

    /** Gives up on the connection: RST to the guest and to the host. */
    void abort() {
        if (state == State.CLOSED) {
            // Ended already, but its host socket may still be writing out what the guest sent (see finish): evicted
            // or the stack closing, that socket is reset now.
            resetHost();
            return;
        }
        if (state == State.SYN_SENT) {
            // Nothing of the guest's is acknowledged yet: a bare RST in our sequence space ends its half-open one.
            nat.output().rst(ip, ourPort, guestPort, sndNxt, 0, Tcp.RST);
        } else {
            nat.output().rst(ip, ourPort, guestPort, sndNxt, rcvNxt, Tcp.RST | Tcp.ACK);
        }
        resetHost();
        finish();
    }

    private void resetHost() {
        if (host != null && host.isOpen()) {
            // SO_LINGER 0 turns the close into a RST, so the host peer learns the connection was reset.
            host.config().setOption(ChannelOption.SO_LINGER, 0);
            host.close();
        }
    }

    private void closeHostGracefully() {
        if (host != null && host.isOpen()) {
            host.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Ends the flow; its host socket closes once what was written to it is out. Until then the flow keeps its slot
     * in the table, so that the descriptor stays counted against the table's budget while it is open (a host peer
     * that stops reading would otherwise hold it uncounted for ever); it is evictable like any idle flow.
     */
    void finish() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        deadline = 0;
        closeHostGracefully();
        sendQueue.clear();
        reorder.clear();
        if (host != null && host.isOpen()) {
            host.closeFuture().addListener(f -> nat.remove(this));
        } else {
            nat.remove(this);
        }
        if (publishedBy != null) {
            publishedBy.forget(this);
        }
    }
}
