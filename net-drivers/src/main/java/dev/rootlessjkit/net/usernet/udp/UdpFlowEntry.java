package dev.rootlessjkit.net.usernet.udp;

import dev.rootlessjkit.net.usernet.flow.FlowEntry;
import dev.rootlessjkit.net.usernet.flow.FlowKey;

/**
 * A UDP flow either way, a guest source's or a published port's client's: it keeps no state a peer would miss, so
 * one silent for a second may lose its place to a new flow when its table is full.
 */
abstract class UdpFlowEntry extends FlowEntry {
    private static final long EVICTABLE_NANOS = 1_000_000_000L;

    UdpFlowEntry(FlowKey key, Object source, Object destination, long now) {
        super(key, source, destination, now);
    }

    @Override
    protected final boolean evictable(long now) {
        return now - lastActive >= EVICTABLE_NANOS;
    }
}
