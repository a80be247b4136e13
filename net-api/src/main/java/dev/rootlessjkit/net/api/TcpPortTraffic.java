package dev.rootlessjkit.net.api;

import java.util.concurrent.atomic.LongAdder;

/**
 * A published TCP port's counters. LongAdders: the builtin driver relays one port's connections on several
 * threads at once (its splice loops), where one contended atomic would bounce between cores; uncontended, an add
 * costs one CAS, nothing next to the read or splice it counts.
 */
public final class TcpPortTraffic implements PortTraffic {
    /** Why an accepted connection was never relayed; see {@link PortCounters.DialFailures}. */
    public enum Failure {
        REFUSED, TIMEOUT, UNREACHABLE, LIMIT, OTHER
    }

    private final LongAdder accepted = new LongAdder();
    private final LongAdder relayed = new LongAdder();
    private final LongAdder ended = new LongAdder();
    private final LongAdder[] failures = new LongAdder[Failure.values().length];
    private final LongAdder toChild = new LongAdder();
    private final LongAdder fromChild = new LongAdder();

    public TcpPortTraffic() {
        for (int i = 0; i < failures.length; i++) {
            failures[i] = new LongAdder();
        }
    }

    /** A client's connection was accepted on the host. */
    public void accepted() {
        accepted.increment();
    }

    /** An accepted connection's dial inside succeeded: it is relayed from now on. */
    public void relaying() {
        relayed.increment();
    }

    /** A connection that was relayed has ended. */
    public void ended() {
        ended.increment();
    }

    /** An accepted connection will never be relayed. */
    public void failed(Failure why) {
        failures[why.ordinal()].increment();
    }

    /** Bytes passed from a client into the namespace. */
    public void toChild(long bytes) {
        toChild.add(bytes);
    }

    /** Bytes passed from inside back to a client. */
    public void fromChild(long bytes) {
        fromChild.add(bytes);
    }

    /**
     * Read so that the gauges cannot come out negative while the relays count: ends before starts, and the
     * outcomes before the connections they belong to.
     */
    @Override
    public PortCounters counters() {
        final long endedNow = ended.sum();
        final long relayedNow = relayed.sum();
        final long[] f = new long[failures.length];
        long failed = 0;
        for (int i = 0; i < f.length; i++) {
            f[i] = failures[i].sum();
            failed += f[i];
        }
        final long acceptedNow = accepted.sum();
        return new PortCounters(new PortCounters.Tcp(acceptedNow, relayedNow - endedNow, failed,
                new PortCounters.DialFailures(f[Failure.REFUSED.ordinal()], f[Failure.TIMEOUT.ordinal()],
                        f[Failure.UNREACHABLE.ordinal()], f[Failure.LIMIT.ordinal()], f[Failure.OTHER.ordinal()]),
                toChild.sum(), fromChild.sum()), null);
    }
}
