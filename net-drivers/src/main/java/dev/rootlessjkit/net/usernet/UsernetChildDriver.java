package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.ChildNetworkContext;
import dev.rootlessjkit.net.ChildNetworkDriver;
import dev.rootlessjkit.net.InterfaceChildDriver;
import dev.rootlessjkit.net.api.NetworkDriverException;

/**
 * usernet's child half: makes the TAP device in the namespace, where only the child has CAP_NET_ADMIN, and passes it
 * to the parent's stack ({@link TapHandOver}); then configures the interface as for slirp4netns. Loads nothing of the
 * stack (Netty), which only the parent half runs.
 */
public final class UsernetChildDriver implements ChildNetworkDriver {
    private final ChildNetworkContext context;
    private final ChildNetworkDriver configurer;

    public UsernetChildDriver(ChildNetworkContext context) {
        this.context = context;
        // The interface configuration that follows once the stack answers on the device.
        this.configurer = new InterfaceChildDriver(context);
    }

    @Override
    public void prepare() throws NetworkDriverException {
        if (context.driverSocket() < 0) {
            throw new NetworkDriverException("usernet: the parent gave the child no socket for its TAP device");
        }
        TapHandOver.send(context, context.interfaceName(), context.driverSocket());
    }

    @Override
    public void configure(NetworkConfig config) throws NetworkDriverException {
        configurer.configure(config);
    }
}
