package dev.rootlessjkit.net;

import dev.rootlessjkit.messages.NetworkConfig;

/** The parent's half of a network driver: whatever runs outside the namespace (slirp4netns, pasta, our stack). */
public interface ParentNetworkDriver extends AutoCloseable {
    /** Starts serving the child's namespace and says how the child must configure its side. */
    NetworkConfig start(NetworkContext context) throws NetworkDriverException;

    /** Stops everything {@link #start} started; never throws. */
    @Override
    void close();
}
