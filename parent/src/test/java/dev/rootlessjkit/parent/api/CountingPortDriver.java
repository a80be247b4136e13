package dev.rootlessjkit.parent.api;

import dev.rootlessjkit.net.api.PortCounters;
import java.util.Map;

/**
 * The in-memory {@link FakePortDriver} reporting counters as the builtin and usernet drivers do: given ones for
 * ports 1 (TCP) and 2 (UDP) and their sum as the total. The counting itself is the drivers' tests' business.
 */
public final class CountingPortDriver extends FakePortDriver {
    public static final PortCounters TCP = new PortCounters(new PortCounters.Tcp(3, 1, 1,
            new PortCounters.DialFailures(1, 0, 0, 0, 0), 1200, 3400), null);
    public static final PortCounters UDP = new PortCounters(null, new PortCounters.Udp(2, 10, 1000, 9, 900, 1,
            new PortCounters.Drops(1, 0, 0)));

    @Override
    public Map<Integer, PortCounters> portCounters() {
        return Map.of(1, TCP, 2, UDP);
    }

    @Override
    public PortCounters totalCounters() {
        return TCP.plus(UDP);
    }
}
