package dev.rootlessjkit.net;

import dev.rootlessjkit.messages.NetworkConfig;
import java.util.Optional;

/** The parent's half of a network driver: whatever runs outside the namespace (slirp4netns, pasta, our stack). */
public interface ParentNetworkDriver extends AutoCloseable {
    /** Starts serving the child's namespace and says how the child must configure its side. */
    NetworkConfig start(NetworkContext context) throws NetworkDriverException;

    /** How to capture the namespace's traffic, for drivers that see its frames. */
    default Optional<PacketCapture> packetCapture() {
        return Optional.empty();
    }

    /** Stops everything {@link #start} started; never throws. */
    @Override
    void close();
}
