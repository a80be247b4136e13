package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.Timers;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import dev.rootlessjkit.net.usernet.header.Ipv6;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reassembles fragmented IPv4 datagrams and IPv6 packets within fixed limits shared by both: a number of datagrams
 * at once, a number of fragments each, a timeout. Overlapping fragments drop the whole datagram (as RFC 5722 asks
 * of IPv6), which also stops overlap tricks that would let later fragments rewrite a transport header already
 * checked.
 */
public final class FragmentReassembler {
    /** A datagram needing more fragments than this is not worth the memory. */
    static final int MAX_FRAGMENTS = 64;
    private static final int MAX_PAYLOAD = 65535 - Ipv4.MIN_HEADER_LENGTH;
    /** IPv6's payload length field is 16 bits: the reassembled payload must fit it. */
    private static final int MAX_PAYLOAD_IPV6 = 65535;
    /** Marks an IPv4 datagram where an IPv6 packet's next header goes. */
    private static final int IPV4 = -1;

    private final ByteBufAllocator alloc;
    private final Counters counters;
    private final Timers timers;
    private final int maxDatagrams;
    private final long timeoutNanos;
    /** By {@link Key} or {@link Key6}. */
    private final Map<Object, Datagram> pending = new HashMap<>();

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
        return offer(key, offset, length, more, packet, ipOff, ipOff + headerLength, IPV4);
    }

    /**
     * Takes one IPv6 fragment: the packet at {@code ipOff} (fixed header validated) whose fragment header is at
     * {@code fragmentOff} and whose payload ends at {@code end}. Returns the whole packet once complete: a new buffer
     * with a 40-byte IPv6 header at index 0 (the extension headers before the fragment header left out) whose next
     * header is the fragment header's, owned by the caller; null otherwise.
     */
    public ByteBuf offerIpv6(ByteBuf packet, int ipOff, int fragmentOff, int end) {
        counters.increment(Counter.IP_FRAGMENTS);
        int offset = Ipv6.fragmentOffset(packet, fragmentOff);
        boolean more = Ipv6.fragmentHasMore(packet, fragmentOff);
        int data = fragmentOff + Ipv6.FRAGMENT_HEADER_LENGTH;
        int length = end - data;
        if ((more && (length % 8 != 0 || length == 0)) || offset + length > MAX_PAYLOAD_IPV6) {
            counters.increment(Counter.IP_FRAGMENTS_DROPPED);
            return null;
        }
        Key6 key = new Key6(Ipv6.sourceHigh(packet, ipOff), Ipv6.sourceLow(packet, ipOff),
                Ipv6.destinationHigh(packet, ipOff), Ipv6.destinationLow(packet, ipOff),
                Ipv6.fragmentIdentification(packet, fragmentOff));
        return offer(key, offset, length, more, packet, ipOff, data,
                Ipv6.extensionNextHeader(packet, fragmentOff));
    }

    /** @param nextHeader the IPv6 fragment header's next header, or {@link #IPV4} */
    private ByteBuf offer(Object key, int offset, int length, boolean more, ByteBuf packet, int ipOff, int dataOff,
            int nextHeader) {
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
        if (!d.add(offset, length, more, packet, ipOff, dataOff, nextHeader)) {
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

    private void expire(Object key, Datagram d) {
        if (pending.get(key) == d) {
            pending.remove(key);
            counters.add(Counter.IP_FRAGMENTS_DROPPED, d.fragments.size());
            d.release();
        }
    }

    private void drop(Object key, Datagram d) {
        pending.remove(key);
        d.timeout.cancel();
        counters.add(Counter.IP_FRAGMENTS_DROPPED, d.fragments.size() + 1L);
        d.release();
    }

    private record Key(int src, int dst, int id, int protocol) {
    }

    private record Key6(long srcHigh, long srcLow, long dstHigh, long dstLow, int id) {
    }

    private record Fragment(int offset, int length, ByteBuf data) {
    }

    private static final class Datagram {
        final List<Fragment> fragments = new ArrayList<>();
        ByteBuf firstHeader;
        /** The IPv6 fragment header's next header, or {@link #IPV4}. */
        int nextHeader = IPV4;
        int totalLength = -1;
        int received;
        Timers.Timeout timeout;

        boolean add(int offset, int length, boolean more, ByteBuf packet, int ipOff, int dataOff, int next) {
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
            if (offset == 0 && firstHeader != null) {
                return false;
            }
            fragments.add(new Fragment(offset, length, packet.retainedSlice(dataOff, length)));
            if (offset == 0) {
                nextHeader = next;
                firstHeader = packet.retainedSlice(ipOff, headerLength());
            }
            received += length;
            return true;
        }

        boolean complete() {
            // No overlaps are admitted, so the byte count tells whether every hole is filled.
            return totalLength >= 0 && firstHeader != null && received == totalLength;
        }

        private int headerLength() {
            return nextHeader == IPV4 ? Ipv4.MIN_HEADER_LENGTH : Ipv6.HEADER_LENGTH;
        }

        ByteBuf assemble(ByteBufAllocator alloc) {
            int header = headerLength();
            int size = header + totalLength;
            ByteBuf b = alloc.directBuffer(size, size);
            b.writeBytes(firstHeader, 0, header);
            if (nextHeader == IPV4) {
                b.setByte(0, 0x45);
                b.setShort(2, size);
                b.setShort(6, 0);
            } else {
                b.setShort(4, totalLength);
                b.setByte(6, nextHeader);
            }
            b.writerIndex(size);
            for (Fragment f : fragments) {
                b.setBytes(header + f.offset, f.data, 0, f.length);
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
