package dev.rootlessjkit.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class Ipv4NetworkTest {
    @Test
    void defaultNetworkGivesSlirp4netnsAddresses() {
        final Ipv4Network network = Ipv4Network.orDefault(null);
        assertEquals("10.0.2.100", network.childAddress());
        assertEquals("10.0.2.2", network.gateway());
        assertEquals("10.0.2.3", network.dns());
        assertEquals(24, network.prefixLength());
        assertEquals("10.0.2.0/24", network.toString());
        assertEquals(Ipv4Network.DEFAULT, Ipv4Network.orDefault(""));
    }

    @Test
    void customCidrShiftsEveryAddress() {
        final Ipv4Network network = Ipv4Network.parse("10.42.0.0/16");
        assertEquals("10.42.0.100", network.childAddress());
        assertEquals("10.42.0.2", network.gateway());
        assertEquals("10.42.0.3", network.dns());
        assertEquals(16, network.prefixLength());
    }

    @Test
    void hostBitsAreRefusedWithRootlessKitsMessage() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Ipv4Network.parse("10.0.2.100/24"));
        assertEquals("cidr must be like 10.0.2.0/24, not like 10.0.2.100/24", e.getMessage());
    }

    @Test
    void networkTooSmallForTheChildAddressIsRefused() {
        final Ipv4Network small = Ipv4Network.parse("192.168.1.0/26");
        assertEquals("192.168.1.2", small.gateway());
        assertThrows(IllegalArgumentException.class, small::childAddress);
    }

    @Test
    void malformedInputIsRefusedWithoutNameLookup() {
        for (String bad : new String[] {"10.0.2.0", "10.0.2.0/33", "10.0.2/24", "10.0.2.256/24", "localhost/8",
                "10.0.2.0/x", "1.2.3.4.5/8", "-1.0.0.0/8"}) {
            assertThrows(IllegalArgumentException.class, () -> Ipv4Network.parse(bad), bad);
        }
    }

    @Test
    void addressesConvertToNetworkOrderBytes() {
        assertArrayEquals(new byte[] {10, 0, 2, 100}, Ipv4Network.toBytes(Ipv4Network.parseAddress("10.0.2.100")));
        assertArrayEquals(new byte[] {(byte) 255, (byte) 255, (byte) 255, 0},
                Ipv4Network.toBytes(Ipv4Network.parseAddress("255.255.255.0")));
        assertEquals("192.168.255.1", Ipv4Network.format(Ipv4Network.parseAddress("192.168.255.1")));
    }
}
