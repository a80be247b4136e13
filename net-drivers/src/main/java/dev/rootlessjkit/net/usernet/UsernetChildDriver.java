package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Ipv6Addressing;
import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.ChildNetworkContext;
import dev.rootlessjkit.net.ChildNetworkDriver;
import dev.rootlessjkit.net.InterfaceChildDriver;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * usernet's child half: makes the TAP device in the namespace, where only the child has CAP_NET_ADMIN, and passes it
 * to the parent's stack ({@link TapHandOver}); then configures the interface as for slirp4netns. Loads nothing of the
 * stack (Netty), which only the parent half runs.
 */
public final class UsernetChildDriver implements ChildNetworkDriver {
    /** Opaque keys of the network config: the guest's static IPv6 address (with prefix) and gateway. */
    static final String IPV6_ADDRESS = "IPv6Address";
    static final String IPV6_GATEWAY = "IPv6Gateway";

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
        final String address = config.opaque().get(IPV6_ADDRESS);
        final String gateway = config.opaque().get(IPV6_GATEWAY);
        if (address != null && gateway != null) {
            context.inNetworkNamespace("configure IPv6 on " + config.dev(), () -> {
                configureIpv6(config.dev(), address, gateway);
                return null;
            });
        }
    }

    /**
     * The static address and default route that published ports and the tests rely on, beside the SLAAC address
     * and route the stack's router advertisement also gives (as slirp4netns --enable-ipv6 does).
     */
    private static void configureIpv6(String dev, String address, String gateway) throws NetworkDriverException {
        final int slash = address.indexOf('/');
        try (Ipv6Addressing addressing = Ipv6Addressing.open()) {
            addressing.addAddress(dev, literal(address.substring(0, slash)),
                    Integer.parseInt(address.substring(slash + 1)));
            addressing.addDefaultRoute(dev, literal(gateway));
        } catch (ErrnoException e) {
            throw new NetworkDriverException("failed to configure IPv6 on " + dev + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new NetworkDriverException("bad IPv6 configuration from the parent: " + address + " via "
                    + gateway, e);
        }
    }

    /** The bytes of an IPv6 literal; never a name lookup (the parent sends only literals). */
    private static byte[] literal(String text) {
        if (text.indexOf(':') < 0) {
            throw new IllegalArgumentException("not an IPv6 literal: " + text);
        }
        try {
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IPv6 literal: " + text, e);
        }
    }
}
