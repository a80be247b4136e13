package dev.rootlessjkit.net;

import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.api.NetworkDriverException;

/** The child's half of a network driver: configures the interface inside the namespace. */
public interface ChildNetworkDriver {
    /**
     * Runs before the parent half starts (the child has its namespaces and id maps, the parent waits for it): for a
     * half that must make something the parent half starts on, such as usernet's TAP device.
     */
    default void prepare() throws NetworkDriverException {
    }

    /** Applies {@code config} (from the parent half) to the child's network namespace. */
    void configure(NetworkConfig config) throws NetworkDriverException;
}
