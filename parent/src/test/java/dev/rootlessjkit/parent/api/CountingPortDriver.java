package dev.rootlessjkit.parent.api;

import dev.rootlessjkit.net.api.PortCounters;
import dev.rootlessjkit.port.ParentPortDriver;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The in-memory {@link FakePortDriver} reporting counters as the builtin and usernet drivers do: given ones for
 * ports 1 (TCP) and 2 (UDP) and their sum as the total. The counting itself is the drivers' tests' business.
 */
public final class CountingPortDriver implements ParentPortDriver {
    public static final PortCounters TCP = new PortCounters(new PortCounters.Tcp(3, 1, 1,
            new PortCounters.DialFailures(1, 0, 0, 0, 0), 1200, 3400), null);
    public static final PortCounters UDP = new PortCounters(null, new PortCounters.Udp(2, 10, 1000, 9, 900, 1,
            new PortCounters.Drops(1, 0, 0)));

    private final FakePortDriver fake = new FakePortDriver();

    @Override
    public PortDriverInfo info() {
        return fake.info();
    }

    @Override
    public Map<String, String> opaqueForChild() {
        return fake.opaqueForChild();
    }

    @Override
    public void start(Duration timeout) {
        fake.start(timeout);
    }

    @Override
    public PortStatus addPort(PortSpec spec) throws PortDriverException {
        return fake.addPort(spec);
    }

    @Override
    public List<PortStatus> listPorts() {
        return fake.listPorts();
    }

    @Override
    public Map<Integer, PortCounters> portCounters() {
        return Map.of(1, TCP, 2, UDP);
    }

    @Override
    public PortCounters totalCounters() {
        return TCP.plus(UDP);
    }

    @Override
    public void removePort(int id) throws PortDriverException {
        fake.removePort(id);
    }

    @Override
    public void close() {
        fake.close();
    }
}
