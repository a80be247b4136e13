package dev.rootlessjkit.net.pasta;

import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.ChildNetworkContext;
import dev.rootlessjkit.net.ChildNetworkDriver;
import dev.rootlessjkit.net.InterfaceChildDriver;
import dev.rootlessjkit.net.api.NetworkDriverException;

/** pasta's child half: pasta has configured address and route itself; lo, resolv.conf and hosts are left. */
public final class PastaChildDriver implements ChildNetworkDriver {
    private final ChildNetworkDriver finish;

    public PastaChildDriver(ChildNetworkContext context) {
        this.finish = new InterfaceChildDriver(context, true);
    }

    @Override
    public void configure(NetworkConfig config) throws NetworkDriverException {
        finish.configure(config);
    }
}
