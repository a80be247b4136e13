package dev.rootlessjkit.port.usernet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.DriverOptions;
import dev.rootlessjkit.net.NetworkOptions;
import dev.rootlessjkit.net.NetworkDriverKind;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.usernet.UsernetOptions;
import dev.rootlessjkit.net.usernet.UsernetParentDriver;
import dev.rootlessjkit.port.AddressInUseException;
import dev.rootlessjkit.port.PortDriverKind;
import dev.rootlessjkit.port.PortDriverOptions;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What needs no running stack; forwarding itself is tested in the stack's tests and in UsernetIT. */
class UsernetPortDriverTest {
    private static final PortDriverOptions OPTIONS = new PortDriverOptions(PortDriverKind.USERNET, false);
    private final Log log = new Log("test", false);

    /** The usernet network driver as the parent has it before the child's TAP device arrives: not started. */
    private UsernetParentDriver notStarted() throws NetworkDriverException {
        return new UsernetParentDriver(new NetworkOptions(NetworkDriverKind.USERNET, 0, null, "tap0", false, false, false,
                DriverOptions.NONE), new UsernetOptions(UsernetOptions.HOST_RESOLV_CONF), Linux.load(), log);
    }

    private UsernetPortDriver driverOfNotStartedNetwork() throws NetworkDriverException {
        return new UsernetPortDriver(notStarted().portPublisher().orElseThrow(), log);
    }

    @Test
    void isParentOnlyAndRefusesLoopbackChildAddresses() throws NetworkDriverException {
        UsernetPortDriver d = driverOfNotStartedNetwork();
        assertEquals(Map.of(), d.opaqueForChild());
        assertTrue(d.info().disallowLoopbackChildIP());
        assertEquals("usernet", d.info().driver());
    }

    @Test
    void startWithoutARunningNetworkFailsClearlyAndLetsThePortGo() throws Exception {
        UsernetPortDriver d = driverOfNotStartedNetwork();
        final int port = freePort();
        d.addPort(new PortSpec("tcp", "127.0.0.1", port, "", 80));
        PortDriverException e = assertThrows(PortDriverException.class, () -> d.start(Duration.ofSeconds(1)));
        assertEquals("cannot serve 127.0.0.1:" + port + ":80/tcp: the usernet network is not running",
                e.getMessage());
        assertEquals(List.of(), d.listPorts());
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(port, again.getLocalPort(), "the port's socket is closed");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /** The parent adds -p ports while the child boots: the socket listens then, the stack serves it later. */
    @Test
    void listensBeforeTheStackRunsFailsBindsInGosWordsAndLetsGoOnClose() throws Exception {
        UsernetPortDriver d = driverOfNotStartedNetwork();
        final int port = freePort();
        assertEquals(1, d.addPort(new PortSpec("tcp", "127.0.0.1", port, "", 80)).id());
        try (Socket early = new Socket()) {
            early.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        }
        AddressInUseException inUse = assertThrows(AddressInUseException.class,
                () -> d.addPort(new PortSpec("tcp4", "127.0.0.1", port, "", 81)));
        assertEquals("listen tcp4 127.0.0.1:" + port + ": bind: address already in use", inUse.getMessage());
        assertEquals(List.of(1), d.listPorts().stream().map(PortStatus::id).toList());
        d.close();
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(port, again.getLocalPort(), "the listener is closed with the driver");
        }
    }

    @Test
    void childAddressIsTheGuestsUnlessOneIsGiven() throws Exception {
        assertNull(UsernetPortDriver.guestAddress(new PortSpec("tcp6", "", 8080, "", 80)));
        assertArrayEquals(new byte[] {10, 0, 2, 101},
                UsernetPortDriver.guestAddress(new PortSpec("tcp", "", 8080, "10.0.2.101", 80)));
        assertArrayEquals(InetAddress.getByName("fd00::101").getAddress(),
                UsernetPortDriver.guestAddress(new PortSpec("tcp6", "", 8080, "fd00::101", 80)));
        PortDriverException e = assertThrows(PortDriverException.class,
                () -> UsernetPortDriver.guestAddress(new PortSpec("tcp", "", 8080, "10.0.2", 80)));
        assertEquals("invalid IP: \"10.0.2\"", e.getMessage());
    }

    @Test
    void servesEveryFamily() throws NetworkDriverException {
        assertEquals(List.of("tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"), driverOfNotStartedNetwork().info().protos());
    }

    @Test
    void requiresTheUsernetNetwork() throws NetworkDriverException, PortDriverException {
        PortDriverException e = assertThrows(PortDriverException.class,
                () -> PortDriverKind.USERNET.parentHalf(OPTIONS, Path.of("/nonexistent"),
                        NetworkDriverKind.HOST.parentHalf(new NetworkOptions(NetworkDriverKind.HOST, 0, null, null,
                                false, false, false, DriverOptions.NONE), null, log),
                        log));
        assertEquals("--port-driver=usernet requires --net=usernet", e.getMessage());
        assertInstanceOf(UsernetPortDriver.class, PortDriverKind.USERNET.parentHalf(OPTIONS, Path.of("/nonexistent"),
                notStarted(), log));
    }
}
