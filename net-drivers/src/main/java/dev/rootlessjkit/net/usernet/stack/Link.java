package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.FrameSink;
import dev.rootlessjkit.net.usernet.header.Ethernet;
import dev.rootlessjkit.net.usernet.header.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The Ethernet end of the stack: one MAC for every address the stack answers for, the guest's MAC as learnt from its
 * frames, and output that is flushed once per event-loop wake-up however many frames it produced.
 */
public final class Link implements Batch.Deferred {
    private final long ourMac;
    private final ByteBufAllocator alloc;
    private final FrameSink sink;
    private final Counters counters;
    private final Batch batch;
    private long guestMac = MacAddress.NONE;
    private boolean flushScheduled;

    public Link(long ourMac, ByteBufAllocator alloc, FrameSink sink, Counters counters, Batch batch) {
        this.ourMac = ourMac;
        this.alloc = alloc;
        this.sink = sink;
        this.counters = counters;
        this.batch = batch;
    }

    public long ourMac() {
        return ourMac;
    }

    public long guestMac() {
        return guestMac;
    }

    public void learnGuestMac(long mac) {
        if (!MacAddress.isMulticast(mac)) {
            guestMac = mac;
        }
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
            // Nothing has been heard from the guest yet; it will retry once it has sent something.
            counters.increment(Counter.FRAMES_OUT_NO_GUEST_MAC);
            frame.release();
            return;
        }
        sendTo(frame, guestMac, etherType);
    }

    public void sendTo(ByteBuf frame, long destinationMac, int etherType) {
        Ethernet.write(frame, 0, destinationMac, ourMac, etherType);
        counters.increment(Counter.FRAMES_OUT);
        sink.send(frame);
        flushAtBatchEnd();
    }

    /** Whether {@link #sendOffloaded} may be used: the guest completes checksums and splits large TCP segments. */
    public boolean offloads() {
        return sink.offloads();
    }

    /** As {@link #send} for an IPv4 frame with offloads, see {@link FrameSink#sendOffloaded}. */
    public void sendOffloaded(ByteBuf frame, int l4Offset, int checksumOffset, int gsoSize, int headerLength) {
        if (guestMac == MacAddress.NONE) {
            counters.increment(Counter.FRAMES_OUT_NO_GUEST_MAC);
            frame.release();
            return;
        }
        Ethernet.write(frame, 0, guestMac, ourMac, Ethernet.TYPE_IPV4);
        counters.increment(Counter.FRAMES_OUT);
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
