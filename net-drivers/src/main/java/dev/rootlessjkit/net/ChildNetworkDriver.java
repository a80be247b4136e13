package dev.rootlessjkit.net;

import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.messages.NetworkConfig;

/** The child's half of a network driver: configures the interface inside the namespace. */
public interface ChildNetworkDriver {
    /** Applies {@code config} (from the parent half) to the child's network namespace. */
    void configure(NetworkConfig config) throws NetworkDriverException;
}
