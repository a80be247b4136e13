package dev.rootlessjkit.net;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.api.NetworkDriverException;

/**
 * The child half of every driver that gives the child an interface (slirp4netns, pasta, usernet): loopback up, the
 * interface configured unless the parent's program did it already, resolv.conf and hosts in place.
 */
public final class InterfaceChildDriver implements ChildNetworkDriver {
    private final ChildNetworkContext context;
    private final boolean parentConfiguresInterface;

    /** For a parent half that leaves address and route to the child. */
    public InterfaceChildDriver(ChildNetworkContext context) {
        this(context, false);
    }

    /** @param parentConfiguresInterface the program of the parent half configures address and route itself (pasta) */
    public InterfaceChildDriver(ChildNetworkContext context, boolean parentConfiguresInterface) {
        this.context = context;
        this.parentConfiguresInterface = parentConfiguresInterface;
    }

    @Override
    public void configure(NetworkConfig config) throws NetworkDriverException {
        if (!config.hasInterface()) {
            throw new NetworkDriverException("the parent's network driver named no interface for the child");
        }
        context.inNetworkNamespace("configure " + config.dev(), () -> {
            configureInterfaces(config);
            return null;
        });
        EtcFiles.install(context, config.dns());
        context.log().debug("configured " + config.dev() + " " + config.ip() + "/" + config.netmask() + " via "
                + config.gateway() + ", mtu " + config.mtu() + ", dns " + config.dns());
    }

    private void configureInterfaces(NetworkConfig config) throws NetworkDriverException {
        final Linux linux = context.linux();
        LoopbackChildDriver.bringUp(linux);
        if (parentConfiguresInterface) {
            return;
        }
        final byte[] address;
        final byte[] gateway;
        try {
            address = Ipv4Network.toBytes(Ipv4Network.parseAddress(config.ip()));
            gateway = Ipv4Network.toBytes(Ipv4Network.parseAddress(config.gateway()));
        } catch (IllegalArgumentException e) {
            throw new NetworkDriverException("bad network configuration from the parent: " + e.getMessage(), e);
        }
        try {
            linux.configureIpv4(config.dev(), config.mtu(), address, config.netmask());
            linux.addDefaultRoute(config.dev(), gateway);
        } catch (ErrnoException e) {
            throw new NetworkDriverException("failed to configure " + config.dev() + ": " + e.getMessage(), e);
        }
    }
}
