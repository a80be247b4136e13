package dev.rootlessjkit.port;

import dev.rootlessjkit.net.api.PortCounters;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The host side of a port driver, in the parent process. Life cycle: construct, hand {@link #opaqueForChild()} to
 * the child (ParentInitPortDriverCompleted), let the child run its {@link ChildPortDriver}, {@link #start} (waits
 * for the child half), then {@link #addPort}/{@link #listPorts}/{@link #removePort} from any thread, then
 * {@link #close}. Builtin and usernet also take {@link #addPort} before {@link #start}, even before the child
 * exists (see {@link EarlyListeners}). Port IDs start at 1 and are never reused.
 */
public interface ParentPortDriver extends AutoCloseable {
    PortDriverInfo info();

    /** What the child half needs to start, passed verbatim through the parent/child handshake. */
    Map<String, String> opaqueForChild();

    /**
     * Waits until the child half answers, then serves the ports added before.
     *
     * @throws ChildHalfException when it does not within {@code timeout}
     */
    void start(Duration timeout) throws PortDriverException;

    /**
     * Validates, listens on the parent address (synchronously: bind errors are thrown here) and forwards, from
     * {@link #start} on when called before it.
     */
    PortStatus addPort(PortSpec spec) throws PortDriverException;

    /**
     * As {@link #addPort(PortSpec)} on the socket {@link EarlyListeners} bound for {@code spec}, or on a new one when
     * {@code listenFd} is -1. Takes ownership of the socket (closed if this throws). For the drivers
     * {@link PortDriverKind#earlyListeners} binds for.
     */
    default PortStatus addPort(PortSpec spec, int listenFd) throws PortDriverException {
        if (listenFd >= 0) {
            throw new UnsupportedOperationException("the " + info().driver() + " port driver listens by itself");
        }
        return addPort(spec);
    }

    /** The published ports in ID order. */
    List<PortStatus> listPorts();

    /**
     * Each published port's counters by ID, for the drivers whose own relays carry the ports' traffic (builtin,
     * usernet). Empty for the others (slirp4netns, whose process relays it): they report no counters rather than
     * zeros. A port's counters go with the port.
     */
    default Map<Integer, PortCounters> portCounters() {
        return Map.of();
    }

    /**
     * What every port the driver published has carried, removed ports included (their gauges at zero); null for
     * the drivers {@link #portCounters} has nothing for.
     */
    default PortCounters totalCounters() {
        return null;
    }

    /** Stops forwarding: the listener and every live connection of the port are closed before this returns. */
    void removePort(int id) throws PortDriverException;

    /** Removes every port and stops the driver. Idempotent. */
    @Override
    void close();
}
