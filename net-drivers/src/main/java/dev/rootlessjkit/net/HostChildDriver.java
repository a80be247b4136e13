package dev.rootlessjkit.net;

import dev.rootlessjkit.messages.NetworkConfig;

/** --net=host's child half: the command uses the host's network, so there is nothing to configure. */
final class HostChildDriver implements ChildNetworkDriver {
    @Override
    public void configure(NetworkConfig config) {
    }
}
