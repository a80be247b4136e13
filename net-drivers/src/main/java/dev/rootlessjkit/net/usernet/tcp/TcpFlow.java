package dev.rootlessjkit.net.usernet.tcp;

import dev.rootlessjkit.net.api.TcpPortTraffic;
import dev.rootlessjkit.net.usernet.Counter;
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
 *
 * <p>This class is the state machine and does what goes out of the flow (segments through {@link TcpOutput}, writes
 * and closes on the host socket, counters, idle and TIME-WAIT timers). The bookkeeping is in one object per job, in
 * the manner of gVisor's tcpip: {@link TcpReceiver} (guest to host), {@link TcpSender} (host to guest),
 * {@link RetransmitTimer} (RTO and retries), {@link TcpOptions} (what the SYNs settle), with sequence numbers
 * compared through {@link SeqNum}.
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

    private final TcpReceiver receiver;
    private final TcpSender sender;
    private final RetransmitTimer retransmit;
    /** Whether both sides offered window scaling (RFC 7323): only then is it used. */
    private boolean windowScaling;
    /** Whether our SYN was already sent again at once after resetting what the guest's ACK belonged to. */
    private boolean synResentAfterReset;
    /** Why the guest was never reached, should the flow end in SYN-SENT: counted in the published port's traffic. */
    private TcpPortTraffic.Failure dialFailure = TcpPortTraffic.Failure.OTHER;

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
        this.receiver = new TcpReceiver(nat.receiveBuffer(), new ReorderQueue(nat.receiveBuffer(), nat.reorderBudget()));
        this.sender = new TcpSender(iss);
        this.retransmit = new RetransmitTimer(nat.timers(), this::onRetransmitTimeout);
        receiver.synchronize(guestIsn);
        sender.initialWindow(guestWindow, guestIsn);
        negotiate(guestMss, guestWscale);
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
        this.receiver = new TcpReceiver(nat.receiveBuffer(), new ReorderQueue(nat.receiveBuffer(), nat.reorderBudget()));
        this.sender = new TcpSender(iss);
        this.retransmit = new RetransmitTimer(nat.timers(), this::onRetransmitTimeout);
        // Until the SYN-ACK says otherwise: our own MSS, and the window scale we offer in the SYN.
        sender.segmentSizes(ourMss(), ourMss(), 0);
        receiver.windowShift(TcpOptions.receiveShift(nat.receiveBuffer()));
    }

    /** The peer's MSS and window-scale options from its SYN or SYN-ACK. */
    private void negotiate(int peerMssOption, int peerWscale) {
        int mss = TcpOptions.mss(peerMssOption, ourMss());
        sender.segmentSizes(mss, ip.offloads() ? Math.max(mss, MAX_OFFLOADED_PAYLOAD) : mss,
                TcpOptions.sendShift(peerWscale));
        // Window scaling is used only when both sides offer it (RFC 7323).
        this.windowScaling = peerWscale != Tcp.ABSENT;
        receiver.windowShift(windowScaling ? TcpOptions.receiveShift(nat.receiveBuffer()) : 0);
    }

    /** The MSS our MTU allows: the MTU less this flow's IP header and a TCP header without options. */
    private int ourMss() {
        return ip.maxL4() - Tcp.MIN_HEADER_LENGTH;
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
        return receiver.pinnedBytes() + sender.queued() + (pending == null ? 0 : pending.totalPendingWriteBytes());
    }

    /** Out-of-order segments held. */
    int heldSegments() {
        return receiver.heldSegments();
    }

    /** The sequence number of the guest's SYN. */
    int guestIsn() {
        return receiver.guestIsn();
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
        sender.synSent();
        retransmit.startRtt(sender.iss());
        retransmit.restart();
    }

    /** Sends the SYN of an actively opened flow. */
    void openToGuest() {
        lastActive = nat.timers().nanoTime();
        armIdleCheck(nat.idleNanos());
        sendSyn();
        sender.synSent();
        retransmit.startRtt(sender.iss());
        retransmit.restart();
    }

    void fromHost(ByteBuf data) {
        if (state == State.CLOSED) {
            data.release();
            return;
        }
        lastActive = nat.timers().nanoTime();
        if (publishedBy != null) {
            publishedBy.traffic.toChild(data.readableBytes());
        }
        if (sender.queue(data, nat.sendBuffer())) {
            // The guest has this much unacknowledged: stop reading so the host's sender feels the backpressure.
            host.config().setAutoRead(false);
        }
    }

    void hostEof() {
        sender.hostEof();
        transmit();
    }

    void hostClosed() {
        // A failed connect is answered by the connect listener.
        if (state == State.CONNECTING || state == State.CLOSED || state == State.TIME_WAIT) {
            return;
        }
        if (sender.hostEofSeen() && receiver.finReceived() && (state == State.LAST_ACK || state == State.CLOSING)) {
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
            if (state == State.SYN_RECEIVED && s.seq == SeqNum.add(receiver.rcvNxt(), -1)) {
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
            if (!sender.acksSyn(s.ack)) {
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
        if (s.has(Tcp.ACK) && !sender.acksSyn(s.ack)) {
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
                dialFailure = TcpPortTraffic.Failure.REFUSED;
                resetHost();
                finish();
            }
            return;
        }
        if (!s.has(Tcp.SYN) || !s.has(Tcp.ACK)) {
            // A simultaneous open would need the guest to connect to our ephemeral port: ignored.
            return;
        }
        receiver.synchronize(s.seq);
        negotiate(s.synMss, s.synWscale);
        // A SYN-ACK's window is never scaled (RFC 7323).
        sender.synAcked(s.seq, s.ack, s.window);
        retransmit.sampleRtt();
        retransmit.progress();
        retransmit.stop();
        state = State.ESTABLISHED;
        publishedBy.traffic.relaying();
        sendAck();
        host.config().setAutoRead(true);
        // Netty reads a client that has closed its side even with auto-read off: its request and end of stream
        // may be queued already, and nothing else would send them.
        transmit();
    }

    private void establish(Segment s) {
        state = State.ESTABLISHED;
        retransmit.sampleRtt();
        retransmit.progress();
        retransmit.stop();
        sender.synAcked(s.seq, s.ack, sender.scaledWindow(s.window));
        host.config().setAutoRead(true);
    }

    private boolean acceptable(Segment s) {
        return receiver.acceptable(s.seq, s.payloadLength + (s.has(Tcp.FIN) ? 1 : 0), receiver.windowBytes(host));
    }

    private void onReset(Segment s) {
        if (s.seq == receiver.rcvNxt()) {
            nat.counters().increment(Counter.TCP_RST_RECEIVED);
            resetHost();
            finish();
        } else if (SeqNum.inWindow(s.seq, receiver.rcvNxt(), Math.max(receiver.windowBytes(host), 1))) {
            sendAck();
        }
    }

    /** Processes the acknowledgment field; false when the segment must be dropped. */
    private boolean onAck(Segment s) {
        if (sender.acksUnsent(s.ack)) {
            sendAck();
            return false;
        }
        int newWindow = sender.scaledWindow(s.window);
        if (sender.acksNew(s.ack)) {
            sender.acknowledge(s.ack);
            retransmit.sampleRtt(s.ack);
            retransmit.progress();
            if (sender.allAcknowledged()) {
                retransmit.stop();
            } else {
                retransmit.restart();
            }
            if (sender.finAcknowledged()) {
                ourFinAcked();
                if (state == State.CLOSED) {
                    return false;
                }
            }
            if (sender.resumeReading(nat.sendBuffer())) {
                host.config().setAutoRead(true);
            }
        } else if (sender.duplicateAck(s.ack, s.payloadLength != 0 || s.has(Tcp.FIN), newWindow)) {
            nat.counters().increment(Counter.TCP_RETRANSMITS);
            retransmit.cancelRtt();
            resendFirst();
        }
        sender.updateWindow(s.seq, s.ack, newWindow);
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
        if (receiver.finReceived()) {
            // Nothing follows a FIN; this is a retransmission. Tell the guest where we are.
            sendAck();
            return;
        }
        if (receiver.ahead(s.seq)) {
            nat.counters().increment(Counter.TCP_OUT_OF_ORDER);
            receiver.hold(s.seq, s.packet, s.payloadOffset, s.payloadLength, fin);
            // An immediate duplicate ACK lets the guest retransmit fast.
            sendAck();
            return;
        }
        int rcvNxtBefore = receiver.rcvNxt();
        int delivered = receiver.deliver(s.seq, s.packet, s.payloadOffset, s.payloadLength, fin, host);
        if (publishedBy != null) {
            // What went to the host: the sequence space delivered, less the FIN's one number.
            int bytes = SeqNum.distance(rcvNxtBefore, receiver.rcvNxt())
                    - ((delivered & TcpReceiver.DELIVERED_FIN) != 0 ? 1 : 0);
            if (bytes > 0) {
                publishedBy.traffic.fromChild(bytes);
            }
        }
        if (delivered != 0) {
            deferHostFlush();
        }
        if ((delivered & TcpReceiver.DELIVERED_FIN) != 0) {
            guestFinDelivered();
        }
        deferAck();
    }

    /** The guest's FIN is next in its stream: the host gets it once everything before it is written out. */
    private void guestFinDelivered() {
        armIdleCheck(nat.halfClosedIdleNanos());
        host.write(Unpooled.EMPTY_BUFFER).addListener(SHUTDOWN_OUTPUT);
        switch (state) {
            case ESTABLISHED -> state = State.CLOSE_WAIT;
            case FIN_WAIT_1 -> state = State.CLOSING;
            case FIN_WAIT_2 -> enterTimeWait();
            default -> {
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
        int len;
        while ((len = sender.nextSegmentLength()) > 0) {
            int seq = sender.sndNxt();
            emit(seq, Tcp.ACK | (sender.endsQueue(len) ? Tcp.PSH : 0), sender.inFlight(), len);
            retransmit.startRttIfIdle(seq);
            sender.sent(len);
            retransmit.ensure();
        }
        if (sender.placeFin()) {
            armIdleCheck(nat.halfClosedIdleNanos());
            state = state == State.CLOSE_WAIT ? State.LAST_ACK : State.FIN_WAIT_1;
        }
        if (sender.finDue()) {
            emit(sender.finSeq(), Tcp.ACK | Tcp.FIN, 0, 0);
            sender.finSent();
            retransmit.ensure();
        }
        if (sender.stalledOnZeroWindow()) {
            // Zero window: the timer probes it, or a lost window update would stall us for good.
            retransmit.ensure();
        }
    }

    private void emit(int seq, int flags, int dataOffset, int length) {
        nat.output().segment(ip, ourPort, guestPort, seq, receiver.rcvNxt(), flags, advertisedWindow(),
                sender.sendQueue(), dataOffset, length, sender.mss());
        ackWanted = false;
    }

    private void sendSynAck() {
        int window = Math.min(0xffff, receiver.windowBytes(host));
        nat.output().synAck(ip, ourPort, guestPort, sender.iss(), receiver.rcvNxt(), window, ourMss(),
                windowScaling ? receiver.windowShift() : TcpOutput.NO_WSCALE);
    }

    private void sendSyn() {
        nat.output().syn(ip, ourPort, guestPort, sender.iss(), Math.min(0xffff, receiver.windowBytes(host)), ourMss(),
                receiver.windowShift());
    }

    private void sendAck() {
        emit(sender.sndNxt(), Tcp.ACK, 0, 0);
    }

    private void resendFirst() {
        int len = sender.firstSegmentLength();
        if (len > 0) {
            emit(sender.sndUna(), Tcp.ACK | (len == sender.queued() ? Tcp.PSH : 0), 0, len);
        } else if (sender.finFirstUnacknowledged()) {
            emit(sender.finSeq(), Tcp.ACK | Tcp.FIN, 0, 0);
        }
    }

    private int advertisedWindow() {
        int w = receiver.windowBytes(host);
        if (receiver.startWindowWatch(w, host != null)) {
            // The window closes while the host socket is slow; tell the guest as soon as it has drained.
            host.write(Unpooled.EMPTY_BUFFER).addListener((ChannelFuture f) -> {
                receiver.windowWatchEnded();
                if (f.isSuccess() && state != State.CLOSED) {
                    deferAck();
                }
            });
            deferHostFlush();
        }
        return receiver.windowField(w);
    }

    // ---- timers ----

    private void onRetransmitTimeout() {
        if (state == State.CLOSED) {
            return;
        }
        if (state == State.SYN_SENT || state == State.SYN_RECEIVED) {
            final boolean activeOpen = state == State.SYN_SENT;
            if (retransmit.retriesExhausted(activeOpen ? MAX_SYN_RETRIES : MAX_SYNACK_RETRIES)) {
                nat.counters().increment(Counter.TCP_ABORTED_TIMEOUT);
                dialFailure = TcpPortTraffic.Failure.TIMEOUT;
                abort();
                return;
            }
            retransmit.cancelRtt();
            retransmit.backOff();
            nat.counters().increment(Counter.TCP_RETRANSMITS);
            if (activeOpen) {
                sendSyn();
            } else {
                sendSynAck();
            }
            retransmit.restart();
            return;
        }
        if (sender.allAcknowledged()) {
            if (sender.zeroWindowProbeWanted()) {
                // Window probe: an old sequence number makes the guest answer with its current window.
                emit(SeqNum.add(sender.sndUna(), -1), Tcp.ACK, 0, 0);
                retransmit.backOff();
                retransmit.restart();
            }
            return;
        }
        if (retransmit.retriesExhausted(MAX_RETRIES)) {
            nat.counters().increment(Counter.TCP_ABORTED_TIMEOUT);
            abort();
            return;
        }
        nat.counters().increment(Counter.TCP_RETRANSMITS);
        retransmit.backOff();
        retransmit.cancelRtt();
        // Go back to the first unacknowledged byte; ACKs for it clock out the rest again.
        resendFirst();
        sender.wentBackToFirst();
        retransmit.restart();
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
        long limit = receiver.finReceived() || sender.finQueued() ? nat.halfClosedIdleNanos() : nat.idleNanos();
        long idle = nat.timers().nanoTime() - lastActive;
        if (idle >= limit) {
            nat.counters().increment(Counter.TCP_IDLE_TIMEOUTS);
            abort();
        } else {
            scheduleIdleCheck(limit - idle, generation);
        }
    }

    private void enterTimeWait() {
        if (publishedBy != null) {
            // Both sides are done: the connection is no longer relayed, though its flow waits out TIME-WAIT.
            publishedBy.traffic.ended();
        }
        state = State.TIME_WAIT;
        retransmit.stop();
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
            nat.output().rst(ip, ourPort, guestPort, sender.sndNxt(), 0, Tcp.RST);
        } else {
            nat.output().rst(ip, ourPort, guestPort, sender.sndNxt(), receiver.rcvNxt(), Tcp.RST | Tcp.ACK);
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
        if (publishedBy != null) {
            if (state == State.SYN_SENT) {
                publishedBy.traffic.failed(dialFailure);
            } else if (state != State.TIME_WAIT) {
                publishedBy.traffic.ended();
            }
        }
        state = State.CLOSED;
        retransmit.stop();
        closeHostGracefully();
        sender.clear();
        receiver.clear();
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
