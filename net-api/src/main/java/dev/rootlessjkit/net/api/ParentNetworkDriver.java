package dev.rootlessjkit.net.api;

import dev.rootlessjkit.messages.NetworkConfig;
import java.util.Optional;

/** The parent's half of a network driver: whatever runs outside the namespace (slirp4netns, pasta, our stack). */
public interface ParentNetworkDriver extends AutoCloseable {
    /** Starts serving the child's namespace and says how the child must configure its side. */
    NetworkConfig start(NetworkContext context) throws NetworkDriverException;

    /** For --port-driver=usernet: the driver's own stack, which serves published ports into the namespace. */
    default Optional<PortPublisher> portPublisher() {
        return Optional.empty();
    }

    /**
     * For --port-driver=slirp4netns: the name, inside the state directory, of the API socket of the slirp4netns
     * this driver runs, when it runs one with an API socket.
     */
    default Optional<String> slirp4netnsApiSocket() {
        return Optional.empty();
    }

    /** How to capture the namespace's traffic, for drivers that see its frames. */
    default Optional<PacketCapture> packetCapture() {
        return Optional.empty();
    }

    /** Stops everything {@link #start} started; never throws. */
    @Override
    void close();
}
