package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.net.api.PortTraffic;
import java.time.Duration;

/** One published port's listener and the connections or flows it carries. */
interface Forwarder {
    /** The port's counters, which the forwarder counts its connections or flows and their bytes in. */
    PortTraffic traffic();

    /** Closes the listener and every connection/flow, waiting at most {@code timeout} for them to be closed. */
    void close(Duration timeout);
}
