package dev.rootlessjkit.parent.api;

import dev.rootlessjkit.port.AddressInUseException;
import dev.rootlessjkit.port.ListenException;
import dev.rootlessjkit.port.ParentPortDriver;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortSpecValidator;
import dev.rootlessjkit.port.PortStatus;
import dev.rootlessjkit.port.PrivilegedPortException;
import dev.rootlessjkit.port.UnknownPortException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ports in memory, with the builtin driver's validation and a fake host: port 80 is privileged, 192.0.2.1 is not
 * a local address, and an empty parent IP collides with any published port of the same number (as the dual-stack
 * wildcard bind would). Tests that need one behaviour changed extend it ({@link CountingPortDriver}).
 */
class FakePortDriver implements ParentPortDriver {
    private final Map<Integer, PortStatus> ports = new TreeMap<>();
    private int nextId = 1;

    @Override
    public PortDriverInfo info() {
        return new PortDriverInfo("builtin", List.of("tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"), false);
    }

    @Override
    public Map<String, String> opaqueForChild() {
        return Map.of();
    }

    @Override
    public void start(Duration timeout) {
    }

    @Override
    public synchronized PortStatus addPort(PortSpec spec) throws PortDriverException {
        PortSpecValidator.validate(spec, ports.values());
        if (spec.proto().startsWith("sctp")) {
            throw new PortDriverException("unsupported port protocol " + spec.proto());
        }
        final String where = "listen " + spec.proto() + " " + spec.parentIP() + ":" + spec.parentPort() + ": bind: ";
        if (spec.parentPort() == 80) {
            throw new PrivilegedPortException(80, 1024, where + "permission denied", 13);
        }
        if (spec.parentIP().equals("192.0.2.1")) {
            throw new ListenException(where + "cannot assign requested address", 99);
        }
        for (PortStatus p : ports.values()) {
            if (spec.parentIP().isEmpty() && p.spec().parentPort() == spec.parentPort()
                    && p.spec().proto().equals(spec.proto())) {
                throw new AddressInUseException(where + "address already in use", 98);
            }
        }
        final PortStatus st = new PortStatus(nextId++, spec);
        ports.put(st.id(), st);
        return st;
    }

    @Override
    public synchronized List<PortStatus> listPorts() {
        return new ArrayList<>(ports.values());
    }

    @Override
    public synchronized void removePort(int id) throws PortDriverException {
        if (ports.remove(id) == null) {
            throw new UnknownPortException(id);
        }
    }

    @Override
    public void close() {
    }
}
