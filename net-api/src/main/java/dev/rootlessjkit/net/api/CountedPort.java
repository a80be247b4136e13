package dev.rootlessjkit.net.api;

/**
 * A {@link PortPublisher}'s handle of a published port whose traffic the publisher's stack counts: closing it
 * unpublishes the port, as the plain handle does; {@code traffic} is the port's counters.
 */
public record CountedPort(PortTraffic traffic, AutoCloseable handle) implements AutoCloseable {
    @Override
    public void close() throws Exception {
        handle.close();
    }
}
