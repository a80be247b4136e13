package dev.rootlessjkit.net.api;

/**
 * A published port's live counters, which the relays of the driver that carries the port count as they move its
 * traffic, and which live exactly as long as the port. Nothing is allocated per connection, datagram or read:
 * each event adds to a counter of the port's.
 */
public interface PortTraffic {
    /** What the port has carried so far; callable from any thread while the relays count. */
    PortCounters counters();
}
