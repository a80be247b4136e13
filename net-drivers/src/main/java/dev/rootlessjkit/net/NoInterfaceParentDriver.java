package dev.rootlessjkit.net;

import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.api.NetworkContext;
import dev.rootlessjkit.net.api.ParentNetworkDriver;

/** The parent half of host (no namespace) and none (loopback only): nothing runs outside the child. */
final class NoInterfaceParentDriver implements ParentNetworkDriver {
    @Override
    public NetworkConfig start(NetworkContext context) {
        return NetworkConfig.none();
    }

    @Override
    public void close() {
    }
}
