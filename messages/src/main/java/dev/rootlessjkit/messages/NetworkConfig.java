package dev.rootlessjkit.messages;

import java.util.List;
import java.util.Map;

/**
 * What the child needs to configure its side of the network. All empty for {@code --net=host}; only the
 * loopback for {@code --net=none}. {@code opaque} carries driver-specific values from parent half to child half.
 */
public record NetworkConfig(
        String dev,
        String ip,
        int netmask,
        String gateway,
        List<String> dns,
        int mtu,
        Map<String, String> opaque) {

    public NetworkConfig {
        dns = dns == null ? List.of() : List.copyOf(dns);
        opaque = opaque == null ? Map.of() : Map.copyOf(opaque);
    }

    /** The configuration of a driver that gives the child no interface of its own. */
    public static NetworkConfig none() {
        return new NetworkConfig(null, null, 0, null, List.of(), 0, Map.of());
    }

    public boolean hasInterface() {
        return dev != null && !dev.isEmpty();
    }

    /** For debug lines: {@code tap0 10.0.2.100/24 via 10.0.2.2, dns [10.0.2.3], mtu 65520}. */
    @Override
    public String toString() {
        if (!hasInterface()) {
            return "no interface of its own";
        }
        return dev + " " + ip + "/" + netmask + " via " + gateway + ", dns " + dns + ", mtu " + mtu;
    }
}
