package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.net.api.PortTraffic;
import java.net.InetSocketAddress;

/** A host port the stack serves into the guest, TCP or UDP, as {@link UsernetNetwork} hands it on. Loop only. */
public interface PublishedPort extends AutoCloseable {
    /** The address actually bound (its port is chosen by the kernel when 0 was asked for). */
    InetSocketAddress localAddress();

    /** The port's counters. */
    PortTraffic traffic();

    /** Stops serving the port and ends its flows. */
    @Override
    void close();
}
