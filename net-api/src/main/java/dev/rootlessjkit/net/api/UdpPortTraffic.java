package dev.rootlessjkit.net.api;

import java.util.concurrent.atomic.LongAdder;

/**
 * A published UDP port's counters, added to once per batch of datagrams (builtin) or per datagram (usernet) by the
 * one loop thread that serves the port; LongAdders as {@link TcpPortTraffic}'s, so that the API reads them from
 * any thread.
 */
public final class UdpPortTraffic implements PortTraffic {
    /** Why datagrams were not passed on; see {@link PortCounters.Drops}. */
    public enum Drop {
        QUEUE_FULL, FLOW_TABLE_FULL, FAILED
    }

    private final LongAdder flowsOpened = new LongAdder();
    private final LongAdder flowsEnded = new LongAdder();
    private final LongAdder datagramsToChild = new LongAdder();
    private final LongAdder bytesToChild = new LongAdder();
    private final LongAdder datagramsFromChild = new LongAdder();
    private final LongAdder bytesFromChild = new LongAdder();
    private final LongAdder[] drops = new LongAdder[Drop.values().length];

    public UdpPortTraffic() {
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
    }

    public void flowOpened() {
        flowsOpened.increment();
    }

    public void flowEnded() {
        flowsEnded.increment();
    }

    /** {@code datagrams} received from clients, {@code bytes} of payload in all. */
    public void toChild(int datagrams, long bytes) {
        datagramsToChild.add(datagrams);
        bytesToChild.add(bytes);
    }

    /** {@code datagrams} received from inside for clients, {@code bytes} of payload in all. */
    public void fromChild(int datagrams, long bytes) {
        datagramsFromChild.add(datagrams);
        bytesFromChild.add(bytes);
    }

    /** {@code datagrams} of those received were not passed on. */
    public void dropped(Drop why, int datagrams) {
        drops[why.ordinal()].add(datagrams);
    }

    @Override
    public PortCounters counters() {
        final long ended = flowsEnded.sum();
        final long opened = flowsOpened.sum();
        final long queueFull = drops[Drop.QUEUE_FULL.ordinal()].sum();
        final long flowTableFull = drops[Drop.FLOW_TABLE_FULL.ordinal()].sum();
        final long failed = drops[Drop.FAILED.ordinal()].sum();
        return new PortCounters(null, new PortCounters.Udp(opened - ended, datagramsToChild.sum(), bytesToChild.sum(),
                datagramsFromChild.sum(), bytesFromChild.sum(), queueFull + flowTableFull + failed,
                new PortCounters.Drops(queueFull, flowTableFull, failed)));
    }
}
