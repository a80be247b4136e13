package dev.rootlessjkit.port;

import java.util.Map;

/** The namespace side of a port driver, in the child process (inside its network namespace). */
public interface ChildPortDriver extends AutoCloseable {
    /**
     * Starts serving the parent half with the opaque map it sent; returns once the parent can connect, serving
     * on daemon threads afterwards.
     */
    void run(Map<String, String> opaque) throws PortDriverException;

    /** Stops serving. Idempotent. */
    @Override
    void close();
}
