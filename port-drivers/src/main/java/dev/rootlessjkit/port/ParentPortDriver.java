package dev.rootlessjkit.port;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The host side of a port driver, in the parent process. Life cycle: construct, hand {@link #opaqueForChild()} to
 * the child (ParentInitPortDriverCompleted), let the child run its {@link ChildPortDriver}, {@link #start} (waits
 * for the child half), then {@link #addPort}/{@link #listPorts}/{@link #removePort} from any thread, then
 * {@link #close}. A driver that {@link #listensEarly() listens early} also takes {@link #addPort} before
 * {@link #start}, even before the child exists. Port IDs start at 1 and are never reused.
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
     * True when the parent's own sockets listen, so {@link #addPort} works before {@link #start} (the network
     * driver need not run yet either): a client that comes early waits in the listener's backlog, a datagram in its
     * receive buffer, until the port is served. False when a helper listens that must be running first
     * (slirp4netns).
     */
    default boolean listensEarly() {
        return false;
    }

    /**
     * Validates, listens on the parent address (synchronously: bind errors are thrown here) and forwards, from
     * {@link #start} on when called before it.
     */
    PortStatus addPort(PortSpec spec) throws PortDriverException;

    /** The published ports in ID order. */
    List<PortStatus> listPorts();

    /** Stops forwarding: the listener and every live connection of the port are closed before this returns. */
    void removePort(int id) throws PortDriverException;

    /** Removes every port and stops the driver. Idempotent. */
    @Override
    void close();
}
