package dev.rootlessjkit.parent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.net.NetworkDriverKind;
import dev.rootlessjkit.port.PortDriverKind;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The two registries name each other's drivers by their command-line names (the driver modules do not compile
 * against each other), so the names are checked here, where both are in reach.
 */
class DriverRegistriesTest {

    @Test
    void everyNameIsTakenOnce() {
        final Set<String> network = new HashSet<>();
        for (NetworkDriverKind kind : NetworkDriverKind.values()) {
            assertTrue(network.add(kind.cliName), kind.cliName);
            assertSame(kind, NetworkDriverKind.byName(kind.cliName));
        }
        final Set<String> port = new HashSet<>();
        for (PortDriverKind kind : PortDriverKind.values()) {
            assertTrue(port.add(kind.cliName), kind.cliName);
            for (String alias : kind.aliases) {
                assertTrue(port.add(alias), alias);
                assertSame(kind, PortDriverKind.byName(alias));
            }
        }
    }

    @Test
    void thePairingRulesNameRegisteredDrivers() {
        for (NetworkDriverKind network : NetworkDriverKind.values()) {
            for (String port : network.portDrivers.allowed()) {
                assertNotNull(PortDriverKind.byName(port), network.cliName + " allows an unknown port driver " + port);
            }
            assertSame(network.served(), network.served().served(), "a served name is served by a driver itself");
        }
        for (PortDriverKind port : PortDriverKind.values()) {
            if (port.networks != null) {
                for (String network : port.networks) {
                    assertNotNull(NetworkDriverKind.byName(network), port.cliName + " requires unknown " + network);
                    assertSame(NetworkDriverKind.byName(network), NetworkDriverKind.byName(network).served(),
                            "a port driver names the network driver that runs, not a name it serves");
                }
            }
        }
    }

    @Test
    void helpListsEveryDriverByName() throws UsageException {
        final String help = ((CliOutcome.Print) Cli.parse(new String[] {"--help"})).text();
        assertTrue(help.contains("network driver [" + NetworkDriverKind.helpList() + "]"), help);
        assertTrue(help.contains("port driver for non-host networks [" + PortDriverKind.helpList() + "]"), help);
        for (NetworkDriverKind kind : NetworkDriverKind.values()) {
            assertTrue(NetworkDriverKind.helpList().contains(kind.cliName), kind.cliName);
        }
        assertTrue(help.contains("IPv4 network for pasta, slirp4netns and usernet (default: 10.0.2.0/24)"), help);
        assertEquals(NetworkDriverKind.values().length, NetworkDriverKind.helpList().split(", (?![^(]*\\))").length);
    }
}
