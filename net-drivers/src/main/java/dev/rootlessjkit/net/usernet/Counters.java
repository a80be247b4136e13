package dev.rootlessjkit.net.usernet;

import java.util.EnumMap;
import java.util.Map;

/**
 * The stack's counters. Incremented only on the event loop, so plain longs; {@link #snapshot()} is meant to run there
 * too (other threads may read slightly stale values, which is fine for statistics).
 */
public final class Counters {
    private final long[] values = new long[Counter.values().length];

    public void increment(Counter c) {
        values[c.ordinal()]++;
    }

    public void add(Counter c, long n) {
        values[c.ordinal()] += n;
    }

    public long get(Counter c) {
        return values[c.ordinal()];
    }

    /** The non-zero counters. */
    public Map<Counter, Long> snapshot() {
        Map<Counter, Long> m = new EnumMap<>(Counter.class);
        for (Counter c : Counter.values()) {
            if (values[c.ordinal()] != 0) {
                m.put(c, values[c.ordinal()]);
            }
        }
        return m;
    }
}
