package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.net.api.PacketCapture;
import dev.rootlessjkit.net.api.Pcap;
import dev.rootlessjkit.net.usernet.header.Ethernet;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import dev.rootlessjkit.net.usernet.header.Tcp;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * Copies the frames that pass between the guest and the stack to the readers of {@code rootlessjctl capture}, as
 * the stack sees them: from the guest as the TAP device delivered them, to the guest as the stack wrote them (with
 * the TAP's offloads, TCP segments larger than the MTU and checksums left to the guest, as tcpdump shows on a host
 * with TSO). Each record is a copy made on the stack's loop; a reader that cannot keep up loses records instead of
 * making the stack hold them. While nobody captures, a frame costs one volatile read.
 */
public final class FrameCapture implements PacketCapture {
    private final List<Capture> captures = new CopyOnWriteArrayList<>();
    private final LongSupplier epochMicros;
    private volatile boolean active;

    public FrameCapture(LongSupplier epochMicros) {
        this.epochMicros = epochMicros;
    }

    /** The wall clock, as pcap timestamps are. */
    public static FrameCapture withSystemClock() {
        return new FrameCapture(() -> {
            final Instant now = Instant.now();
            return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
        });
    }

    /** Whether anyone captures; checked before {@link #record}, so frames are not walked for nobody. */
    public boolean active() {
        return active;
    }

    /** Offers one frame (its readable bytes, from the Ethernet header on) to every capture. Loop only. */
    public void record(ByteBuf frame) {
        for (Capture c : captures) {
            c.offer(frame);
        }
    }

    @Override
    public synchronized AutoCloseable start(int port, int snapLength, Target target) throws IOException {
        if (port < 0 || port > 65535) {
            throw new IOException("port " + port + " is not between 0 and 65535");
        }
        if (snapLength < Ethernet.HEADER_LENGTH || snapLength > Pcap.MAX_SNAP_LENGTH) {
            throw new IOException("snap length " + snapLength + " is not between " + Ethernet.HEADER_LENGTH + " and "
                    + Pcap.MAX_SNAP_LENGTH);
        }
        if (captures.size() >= MAX_CAPTURES) {
            throw new IOException("too many captures are running (at most " + MAX_CAPTURES + ")");
        }
        final Capture capture = new Capture(port, snapLength, target);
        captures.add(capture);
        active = true;
        return () -> stop(capture);
    }

    private synchronized void stop(Capture capture) {
        captures.remove(capture);
        active = !captures.isEmpty();
    }

    /** Whether an IPv4 TCP or UDP frame (not a later fragment) has {@code port} as source or destination. */
    static boolean hasPort(ByteBuf frame, int port) {
        final int off = frame.readerIndex();
        final int ip = off + Ethernet.HEADER_LENGTH;
        if (frame.writerIndex() < ip + Ipv4.MIN_HEADER_LENGTH
                || Ethernet.etherType(frame, off) != Ethernet.TYPE_IPV4) {
            return false;
        }
        final int protocol = Ipv4.protocol(frame, ip);
        if (protocol != Ipv4.PROTO_TCP && protocol != Ipv4.PROTO_UDP
                || (Ipv4.flagsAndOffset(frame, ip) & Ipv4.OFFSET_MASK) != 0) {
            return false;
        }
        final int l4 = ip + Ipv4.headerLength(frame, ip);
        if (frame.writerIndex() < l4 + 4) {
            return false;
        }
        // TCP and UDP keep both ports in the same place.
        return Tcp.sourcePort(frame, l4) == port || Tcp.destinationPort(frame, l4) == port;
    }

    private final class Capture {
        private final int port;
        private final int snapLength;
        private final Target target;

        Capture(int port, int snapLength, Target target) {
            this.port = port;
            this.snapLength = snapLength;
            this.target = target;
        }

        void offer(ByteBuf frame) {
            if (port != 0 && !hasPort(frame, port) || !target.ready()) {
                return;
            }
            final int length = frame.readableBytes();
            final int captured = Math.min(length, snapLength);
            final ByteBuffer record = Pcap.record(epochMicros.getAsLong(), captured, length);
            frame.getBytes(frame.readerIndex(), record.array(), Pcap.RECORD_HEADER_LENGTH, captured);
            target.write(record.array());
        }
    }
}
