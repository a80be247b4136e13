package dev.rootlessjkit.port.builtin;

import java.time.Duration;

/** One published port's listener and the connections or flows it carries. */
interface Forwarder {
    /** Closes the listener and every connection/flow, waiting at most {@code timeout} for them to be closed. */
    void close(Duration timeout);
}
