package dev.rootlessjkit.port;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The host side of a port driver, in the parent process. Life cycle: construct, hand {@link #opaqueForChild()} to
 * the child (ParentInitPortDriverCompleted), let the child run its {@link ChildPortDriver}, {@link #start} (waits
 * for the child half), then {@link #addPort}/{@link #listPorts}/{@link #removePort} from any thread, then
 * {@link #close}. Port IDs start at 1 and are never reused.
 */
public interface ParentPortDriver extends AutoCloseable {
    PortDriverInfo info();

    /** What the child half needs to start, passed verbatim through the parent/child handshake. */
    Map<String, String> opaqueForChild();

    /**
     * Waits until the child half answers.
     *
     * @throws ChildHalfException when it does not within {@code timeout}
     */
    void start(Duration timeout) throws PortDriverException;

    /** Validates, listens on the parent address (synchronously: bind errors are thrown here) and forwards. */
    PortStatus addPort(PortSpec spec) throws PortDriverException;

    /** The published ports in ID order. */
    List<PortStatus> listPorts();

    /** Stops forwarding: the listener and every live connection of the port are closed before this returns. */
    void removePort(int id) throws PortDriverException;

    /** Removes every port and stops the driver. Idempotent. */
    @Override
    void close();
}
