package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.FrameCapture;
import dev.rootlessjkit.net.usernet.FrameSink;
import dev.rootlessjkit.net.usernet.header.Arp;
import dev.rootlessjkit.net.usernet.header.Ethernet;
import dev.rootlessjkit.net.usernet.header.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayDeque;

/**
 * The Ethernet end of the stack: one MAC for every address the stack answers for, the guest's MAC as learnt from its
 * frames, and output that is flushed once per event-loop wake-up however many frames it produced.
 */
public final class Link implements Batch.Deferred {
    private static final long BROADCAST = 0xffff_ffff_ffffL;
    /** Where the destination address sits in an IPv4 frame. */
    private static final int IPV4_DESTINATION = Ethernet.HEADER_LENGTH + 16;

    private final long ourMac;
    private final int ourIp;
    private final ByteBufAllocator alloc;
    private final FrameSink sink;
    private final Counters counters;
    private final Batch batch;
    private final FrameCapture capture;
    /**
     * Frames held while the guest's MAC is unknown, sent once its ARP reply tells us (as a kernel queues packets for
     * an unresolved neighbour): a guest that only serves published ports must not lose the first connection's SYN,
     * nor wait a retransmission timeout for it. Bounded like Linux's unres_qlen: a few frames, a few hundred KiB.
     */
    static final int MAX_HELD_FRAMES = 16;
    static final int MAX_HELD_BYTES = 256 * 1024;
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    private final ArrayDeque<Integer> heldTypes = new ArrayDeque<>();
    private int heldBytes;
    private long guestMac = MacAddress.NONE;
    private boolean flushScheduled;

    /** @param ourIp the address ARP requests of the stack's come from (the gateway) */
    public Link(long ourMac, int ourIp, ByteBufAllocator alloc, FrameSink sink, Counters counters, Batch batch,
            FrameCapture capture) {
        this.ourMac = ourMac;
        this.ourIp = ourIp;
        this.alloc = alloc;
        this.sink = sink;
        this.counters = counters;
        this.batch = batch;
        this.capture = capture;
    }

    public long ourMac() {
        return ourMac;
    }

    public long guestMac() {
        return guestMac;
    }

    public void learnGuestMac(long mac) {
        if (!MacAddress.isMulticast(mac) && mac != MacAddress.NONE) {
            guestMac = mac;
            sendHeld();
        }
    }

    private void sendHeld() {
        ByteBuf frame;
        while ((frame = held.poll()) != null) {
            heldBytes -= frame.readableBytes();
            sendTo(frame, guestMac, heldTypes.poll());
        }
    }

    /** Drops the frames still waiting for the guest's MAC (the stack is closing). */
    public void releaseHeld() {
        ByteBuf frame;
        while ((frame = held.poll()) != null) {
            frame.release();
        }
        heldTypes.clear();
        heldBytes = 0;
    }

    public ByteBufAllocator alloc() {
        return alloc;
    }

    /** A frame buffer with room for {@code length} bytes; direct, so a TAP write needs no copy. */
    public ByteBuf allocate(int length) {
        return alloc.directBuffer(length, length);
    }

    /** Fills in the Ethernet header at index 0 and hands the frame to the sink. Takes ownership. */
    public void send(ByteBuf frame, int etherType) {
        if (guestMac == MacAddress.NONE) {
            noGuestMac(frame, etherType);
            return;
        }
        sendTo(frame, guestMac, etherType);
    }

    /**
     * Nothing has been heard from the guest yet, which is normal for a guest that only serves published ports: the
     * frame is held (up to the bound; dropped beyond it) and an ARP request for its destination makes the guest
     * answer, which sends the held frames.
     */
    private void noGuestMac(ByteBuf frame, int etherType) {
        counters.increment(Counter.FRAMES_OUT_NO_GUEST_MAC);
        int target = etherType == Ethernet.TYPE_IPV4 && frame.writerIndex() >= IPV4_DESTINATION + 4
                ? frame.getInt(IPV4_DESTINATION) : 0;
        // An IPv6 frame is held without a probe: a guest with IPv6 up solicits a router at once, which teaches us.
        boolean holdable = target != 0 || etherType == Ethernet.TYPE_IPV6;
        if (holdable && held.size() < MAX_HELD_FRAMES && heldBytes + frame.readableBytes() <= MAX_HELD_BYTES) {
            held.add(frame);
            heldTypes.add(etherType);
            heldBytes += frame.readableBytes();
        } else {
            frame.release();
        }
        if (target == 0) {
            return;
        }
        ByteBuf request = allocate(Ethernet.HEADER_LENGTH + Arp.LENGTH);
        request.writerIndex(Ethernet.HEADER_LENGTH + Arp.LENGTH);
        Arp.write(request, Ethernet.HEADER_LENGTH, Arp.OP_REQUEST, ourMac, ourIp, 0, target);
        sendTo(request, BROADCAST, Ethernet.TYPE_ARP);
    }

    public void sendTo(ByteBuf frame, long destinationMac, int etherType) {
        Ethernet.write(frame, 0, destinationMac, ourMac, etherType);
        counters.increment(Counter.FRAMES_OUT);
        if (capture.active()) {
            capture.record(frame);
        }
        sink.send(frame);
        flushAtBatchEnd();
    }

    /** Whether {@link #sendOffloaded} may be used: the guest completes checksums and splits large TCP segments. */
    public boolean offloads() {
        return sink.offloads();
    }

    /** As {@link #send} for an IPv4 or IPv6 frame with offloads, see {@link FrameSink#sendOffloaded}. */
    public void sendOffloaded(ByteBuf frame, int etherType, int l4Offset, int checksumOffset, int gsoSize,
            int headerLength) {
        if (guestMac == MacAddress.NONE) {
            noGuestMac(frame, etherType);
            return;
        }
        Ethernet.write(frame, 0, guestMac, ourMac, etherType);
        counters.increment(Counter.FRAMES_OUT);
        if (capture.active()) {
            capture.record(frame);
        }
        sink.sendOffloaded(frame, l4Offset, checksumOffset, gsoSize, headerLength);
        flushAtBatchEnd();
    }

    private void flushAtBatchEnd() {
        if (!flushScheduled) {
            flushScheduled = true;
            batch.defer(this);
        }
    }

    @Override
    public void runAtBatchEnd() {
        flushScheduled = false;
        sink.flush();
    }
}
