package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.Timers;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reassembles fragmented IPv4 datagrams within fixed limits: a number of datagrams at once, a number of fragments
 * each, a timeout. Overlapping fragments drop the whole datagram (as RFC 5722 asks of IPv6), which also stops
 * overlap tricks that would let later fragments rewrite a transport header already checked.
 */
public final class FragmentReassembler {
    /** A datagram needing more fragments than this is not worth the memory. */
    static final int MAX_FRAGMENTS = 64;
    private static final int MAX_PAYLOAD = 65535 - Ipv4.MIN_HEADER_LENGTH;

    private final ByteBufAllocator alloc;
    private final Counters counters;
    private final Timers timers;
    private final int maxDatagrams;
    private final long timeoutNanos;
    private final Map<Key, Datagram> pending = new HashMap<>();

    public FragmentReassembler(ByteBufAllocator alloc, Counters counters, Timers timers, int maxDatagrams,
            long timeoutNanos) {
        this.alloc = alloc;
        this.counters = counters;
        this.timers = timers;
        this.maxDatagrams = maxDatagrams;
        this.timeoutNanos = timeoutNanos;
    }

    /**
     * Takes one fragment (header already validated). Returns the whole datagram once complete: a new buffer with a
     * 20-byte IPv4 header at index 0 and the payload after it, owned by the caller; null otherwise.
     */
    public ByteBuf offer(ByteBuf packet, int ipOff, int headerLength, int totalLength) {
        counters.increment(Counter.IP_FRAGMENTS);
        int fo = Ipv4.flagsAndOffset(packet, ipOff);
        int offset = (fo & Ipv4.OFFSET_MASK) * 8;
        boolean more = (fo & Ipv4.FLAG_MF) != 0;
        int length = totalLength - headerLength;
        if ((more && (length % 8 != 0 || length == 0)) || offset + length > MAX_PAYLOAD) {
            counters.increment(Counter.IP_FRAGMENTS_DROPPED);
            return null;
        }
        Key key = new Key(Ipv4.source(packet, ipOff), Ipv4.destination(packet, ipOff),
                Ipv4.identification(packet, ipOff), Ipv4.protocol(packet, ipOff));
        Datagram d = pending.get(key);
        if (d == null) {
            if (pending.size() >= maxDatagrams) {
                counters.increment(Counter.IP_FRAGMENTS_DROPPED);
                return null;
            }
            d = new Datagram();
            Datagram created = d;
            d.timeout = timers.schedule(() -> expire(key, created), timeoutNanos);
            pending.put(key, d);
        }
        if (!d.add(offset, length, more, packet, ipOff, headerLength)) {
            drop(key, d);
            return null;
        }
        if (!d.complete()) {
            return null;
        }
        pending.remove(key);
        d.timeout.cancel();
        ByteBuf whole = d.assemble(alloc);
        d.release();
        counters.increment(Counter.IP_REASSEMBLED);
        return whole;
    }

    /** Drops everything still waiting; for shutdown. */
    public void clear() {
        for (Datagram d : pending.values()) {
            d.timeout.cancel();
            d.release();
        }
        pending.clear();
    }

    private void expire(Key key, Datagram d) {
        if (pending.get(key) == d) {
            pending.remove(key);
            counters.add(Counter.IP_FRAGMENTS_DROPPED, d.fragments.size());
            d.release();
        }
    }

    private void drop(Key key, Datagram d) {
        pending.remove(key);
        d.timeout.cancel();
        counters.add(Counter.IP_FRAGMENTS_DROPPED, d.fragments.size() + 1L);
        d.release();
    }

    private record Key(int src, int dst, int id, int protocol) {
    }

    private record Fragment(int offset, int length, ByteBuf data) {
    }

    private static final class Datagram {
        final List<Fragment> fragments = new ArrayList<>();
        ByteBuf firstHeader;
        int totalLength = -1;
        int received;
        Timers.Timeout timeout;

        boolean add(int offset, int length, boolean more, ByteBuf packet, int ipOff, int headerLength) {
            if (fragments.size() >= MAX_FRAGMENTS) {
                return false;
            }
            if (!more) {
                if (totalLength >= 0 && totalLength != offset + length) {
                    return false;
                }
                totalLength = offset + length;
            }
            for (Fragment f : fragments) {
                if (offset < f.offset + f.length && f.offset < offset + length) {
                    return false;
                }
                if (totalLength >= 0 && f.offset + f.length > totalLength) {
                    return false;
                }
            }
            if (totalLength >= 0 && offset + length > totalLength) {
                return false;
            }
            fragments.add(new Fragment(offset, length,
                    packet.retainedSlice(ipOff + headerLength, length)));
            if (offset == 0) {
                firstHeader = packet.retainedSlice(ipOff, Ipv4.MIN_HEADER_LENGTH);
            }
            received += length;
            return true;
        }

        boolean complete() {
            // No overlaps are admitted, so the byte count tells whether every hole is filled.
            return totalLength >= 0 && firstHeader != null && received == totalLength;
        }

        ByteBuf assemble(ByteBufAllocator alloc) {
            int size = Ipv4.MIN_HEADER_LENGTH + totalLength;
            ByteBuf b = alloc.directBuffer(size, size);
            b.writeBytes(firstHeader, 0, Ipv4.MIN_HEADER_LENGTH);
            b.setByte(0, 0x45);
            b.setShort(2, size);
            b.setShort(6, 0);
            b.writerIndex(size);
            for (Fragment f : fragments) {
                b.setBytes(Ipv4.MIN_HEADER_LENGTH + f.offset, f.data, 0, f.length);
            }
            return b;
        }

        void release() {
            for (Fragment f : fragments) {
                f.data.release();
            }
            fragments.clear();
            if (firstHeader != null) {
                firstHeader.release();
                firstHeader = null;
            }
        }
    }
}
