package dev.rootlessjkit.net.usernet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.Ipv4Network;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the child is told with and without --ipv6: RootlessKit's DNS list for slirp4netns, plus our static address. */
class UsernetParentDriverIpv6Test {
    @Test
    void ipv6AddsTheDnsServerAndTheStaticAddress() {
        UsernetConfig config = TestConfig.defaults().ipv6().build();
        NetworkConfig n = UsernetParentDriver.networkConfig(config, "tap0", Ipv4Network.parse("10.0.2.0/24"));
        assertEquals(List.of("10.0.2.3", "fd00::3"), n.dns());
        assertEquals("10.0.2.100", n.ip());
        assertEquals(Map.of("IPv6Address", "fd00::100/64", "IPv6Gateway", "fd00::2"), n.opaque());
    }

    @Test
    void withoutIpv6NothingChanges() {
        UsernetConfig config = TestConfig.defaults().build();
        NetworkConfig n = UsernetParentDriver.networkConfig(config, "tap0", Ipv4Network.parse("10.0.2.0/24"));
        assertEquals(List.of("10.0.2.3"), n.dns());
        assertEquals(Map.of(), n.opaque());
    }
}
