package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The cases every port driver is held to, as RootlessKit's {@code pkg/port/testsuite} holds its drivers: each case
 * runs once per driver, through the real launcher and API clients, with real traffic on the host's loopback. A
 * driver that cannot do something (IPv6 on slirp4netns and usernet) must refuse it with its documented one-line
 * error; nothing here is skipped. The servers inside listen on both families (socat's TCP6/UDP6 listeners take IPv4
 * too), since the builtin driver dials inside the address the client connected to.
 */
class PortDriverConformanceIT {

    private static final int TCP_ECHO = 7000;
    private static final int UDP_ECHO = 7001;
    private static final int PARALLEL = 100;

    /** A port driver with the network driver it runs on, and what it answers where it cannot serve. */
    enum Driver {
        BUILTIN(List.of("--net=none", "--port-driver=builtin"), Optional.empty(), Optional.empty(),
                Optional.empty(), true),
        /*
         * Without --disable-host-loopback: with it, slirp4netns drops the answers to forwarded UDP, which go to the
         * gateway address the client appears as (RootlessKit 1.1.0 on the same slirp4netns does the same).
         * remove_hostfwd closes the listener only: libslirp has no call that ends a forward's connections.
         */
        SLIRP4NETNS(List.of("--net=slirp4netns", "--port-driver=slirp4netns"),
                Optional.of("unsupported protocol \"%s\""),
                Optional.of("reply.Error: map[desc:bad request: add_hostfwd: bad arguments.host_addr]"),
                // slirp4netns says no more than RootlessKit's driver passes on (pkg/port/slirp4netns).
                Optional.of("reply.Error: map[desc:bad request: add_hostfwd: slirp_add_hostfwd failed]"), false),
        /* Without --ipv6, tcp6 and udp6 lead to the namespace's IPv4 address. */
        USERNET(List.of("--net=usernet", "--port-driver=usernet", "--disable-host-loopback"),
                Optional.empty(), Optional.empty(), Optional.empty(), true),
        USERNET_IPV6(List.of("--net=usernet", "--ipv6", "--port-driver=usernet", "--disable-host-loopback"),
                Optional.empty(), Optional.empty(), Optional.empty(), true);

        private final List<String> flags;
        /** The refusal of tcp6/udp6 (%s: the proto), when the driver has no IPv6 inside. */
        private final Optional<String> v6ProtoRefusal;
        /** The refusal of an IPv6 host address with tcp/udp, when the driver cannot listen there. */
        private final Optional<String> v6HostRefusal;
        /** The refusal of a privileged host port, when it is not the builtin listeners' hint. */
        private final Optional<String> privilegedRefusal;
        /** Whether remove-ports ends the connections open through the port, not only its listener. */
        private final boolean removalEndsConnections;

        Driver(List<String> flags, Optional<String> v6ProtoRefusal, Optional<String> v6HostRefusal,
                Optional<String> privilegedRefusal, boolean removalEndsConnections) {
            this.removalEndsConnections = removalEndsConnections;
            this.flags = flags;
            this.v6ProtoRefusal = v6ProtoRefusal;
            this.v6HostRefusal = v6HostRefusal;
            this.privilegedRefusal = privilegedRefusal;
        }

        String privilegedRefusal(int port, int start) {
            return privilegedRefusal.orElse("cannot expose privileged port " + port + ", you can add "
                    + "'net.ipv4.ip_unprivileged_port_start=" + port + "' to /etc/sysctl.conf (currently " + start
                    + ")");
        }
    }

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    /**
     * A port from -p and the rest through the API, over every family the driver serves: each echoes what it gets,
     * is listed, and is gone (refused) after remove-ports; each spec the driver cannot serve is refused.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Driver.class)
    void tcpAndUdpEchoOverIpv4AndIpv6ThenRemoval(Driver driver) throws IOException {
        assertTrue(Ports.hasIpv6Loopback(), "this suite needs ::1 on the host's loopback");
        final int[] tcp = Ports.freeTcpPorts(3);
        final int[] udp = {Ports.freeUdpPort(), Ports.freeUdpPort(), Ports.freeUdpPort()};
        final String fromFlag = "127.0.0.1:" + tcp[0] + ":" + TCP_ECHO + "/tcp";
        try (PortInstance instance = echoServers(driver).publish(fromFlag).start()) {
            final List<String> listed = new ArrayList<>(List.of("1 tcp 127.0.0.1 " + tcp[0] + " " + TCP_ECHO));
            final List<Runnable> traffic = new ArrayList<>();
            traffic.add(() -> assertTcpEchoes(Ports.V4, tcp[0], instance));
            final List<Integer> removable = new ArrayList<>(List.of(1));
            final Spec[] specs = {
                new Spec("udp", Ports.V4, udp[0], UDP_ECHO),
                new Spec("tcp", Ports.V6, tcp[1], TCP_ECHO),
                new Spec("tcp6", Ports.V6, tcp[2], TCP_ECHO),
                new Spec("udp", Ports.V6, udp[1], UDP_ECHO),
                new Spec("udp6", Ports.V6, udp[2], UDP_ECHO)};
            for (final Spec spec : specs) {
                final Optional<String> refusal = expectedRefusal(driver, spec);
                final Result added = instance.ctl(PortInstance.rootlessjctl(), "add-ports", spec.text());
                if (refusal.isPresent()) {
                    Expect.oneLineError(added);
                    assertEquals("error: " + refusal.get(), added.stderr().strip(), added::describe);
                    continue;
                }
                Expect.exitCode(0, added);
                final int id = Integer.parseInt(added.stdout().strip());
                removable.add(id);
                listed.add(id + " " + spec.proto() + " " + spec.host() + " " + spec.hostPort() + " "
                        + spec.childPort());
                traffic.add(spec.proto().startsWith("tcp") ? () -> assertTcpEchoes(spec.address(), spec.hostPort(),
                        instance) : () -> assertUdpEchoes(spec.address(), spec.hostPort(), instance));
            }
            assertEquals(listed, list(instance), instance::describe);
            traffic.forEach(Runnable::run);

            for (final int id : removable) {
                Expect.exitCode(0, instance.ctl(PortInstance.rootlessjctl(), "remove-ports", Integer.toString(id)));
            }
            assertEquals(List.of(), list(instance), instance::describe);
            Ports.assertRefused(Ports.V4, tcp[0], instance::describe);
            Ports.assertRefused(Ports.V6, tcp[1], instance::describe);
            instance.stop();
        }
    }

    /** The same port twice is a conflict; a privileged port is refused unless the sysctl allows it here. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Driver.class)
    void conflictingAndPrivilegedAddsLeaveTheListAsItWas(Driver driver) {
        final int port = Ports.freeTcpPort();
        final int start = Ports.unprivilegedPortStart();
        final int low = start > 1 && start <= 1024 ? start - 1 : 1023;
        try (PortInstance instance = echoServers(driver).start()) {
            Expect.exitCode(0, instance.ctl(PortInstance.rootlessjctl(), "add-ports",
                    "127.0.0.1:" + port + ":" + TCP_ECHO + "/tcp"));
            final List<String> before = list(instance);

            for (final int childPort : new int[] {TCP_ECHO, UDP_ECHO}) {
                final Result again = instance.ctl(PortInstance.rootlessjctl(), "add-ports",
                        "127.0.0.1:" + port + ":" + childPort + "/tcp");
                Expect.oneLineError(again);
                assertEquals("error: conflict with ID 1", again.stderr().strip(), again::describe);
            }
            final Result privileged = instance.ctl(PortInstance.rootlessjctl(), "add-ports",
                    "127.0.0.1:" + low + ":" + TCP_ECHO + "/tcp");
            if (low < start) {
                Expect.oneLineError(privileged);
                Expect.contains("error: " + driver.privilegedRefusal(low, start), privileged.stderr(), privileged);
                assertEquals(before, list(instance), instance::describe);
            } else {
                // net.ipv4.ip_unprivileged_port_start lets anyone bind it on this machine.
                Expect.exitCode(0, privileged);
                assertTcpEchoes(Ports.V4, low, instance);
            }
            assertTcpEchoes(Ports.V4, port, instance);
            instance.stop();
        }
    }

    /**
     * remove-ports ends the connections open through the port: the client sees EOF or a reset, not silence. A driver
     * that cannot (slirp4netns) must at least keep serving the connection until its ends close it.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Driver.class)
    void removalClosesLiveConnections(Driver driver) throws IOException {
        final int port = Ports.freeTcpPort();
        try (PortInstance instance = echoServers(driver).publish("127.0.0.1:" + port + ":" + TCP_ECHO + "/tcp")
                .start(); Socket live = Ports.connect(Ports.V4, port)) {
            final byte[] ping = "ping\n".getBytes(StandardCharsets.US_ASCII);
            live.getOutputStream().write(ping);
            assertArrayEquals(ping, live.getInputStream().readNBytes(ping.length), instance::describe);

            Expect.exitCode(0, instance.ctl(PortInstance.rootlessjctl(), "remove-ports", "1"));

            if (driver.removalEndsConnections) {
                Ports.assertClosedByPeer(live, () -> "live connection after remove-ports 1\n" + instance.describe());
            } else {
                live.getOutputStream().write(ping);
                assertArrayEquals(ping, live.getInputStream().readNBytes(ping.length), instance::describe);
            }
            Ports.assertRefused(Ports.V4, port, instance::describe);
            instance.stop();
        }
    }

    /** All connections open at once before any sends, so the driver holds them together. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Driver.class)
    void hundredParallelConnectionsAllEcho(Driver driver) throws IOException {
        final int port = Ports.freeTcpPort();
        try (PortInstance instance = echoServers(driver).publish("127.0.0.1:" + port + ":" + TCP_ECHO + "/tcp")
                .start()) {
            final List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < PARALLEL; i++) {
                    sockets.add(Ports.connect(Ports.V4, port));
                }
                for (int i = 0; i < PARALLEL; i++) {
                    sockets.get(i).getOutputStream().write(payload(i));
                    sockets.get(i).shutdownOutput();
                }
                for (int i = 0; i < PARALLEL; i++) {
                    final int n = i;
                    assertArrayEquals(payload(i), sockets.get(i).getInputStream().readAllBytes(),
                            () -> "connection " + n + " of " + PARALLEL + "\n" + instance.describe());
                }
            } finally {
                for (final Socket socket : sockets) {
                    socket.close();
                }
            }
            instance.stop();
        }
    }

    /**
     * --port-driver=implicit: pasta publishes every TCP port a server binds inside, on the same number (IPv4 only
     * without --ipv6), and the API has no port driver to add to, list or remove from (RootlessKit's wording). UDP
     * without -p is left out: Debian's pasta (2023_03_09) scans for UDP ports only when it starts (see the next
     * test).
     */
    @Test
    void implicitPortDriverForwardsWhatBindsInsideAndRefusesTheApi() throws IOException {
        final int tcp = Ports.freeTcpPort();
        try (PortInstance instance = PortInstance.with(sandbox)
                .drivers("--net=pasta", "--port-driver=implicit", "--disable-host-loopback")
                .tcpServer(tcp, "socat -t 30 TCP6-LISTEN:" + tcp + ",fork,reuseaddr,backlog=128 PIPE")
                .start()) {
            for (final String[] call : new String[][] {{"add-ports", "127.0.0.1:" + Ports.freeTcpPort() + ":80/tcp"},
                    {"list-ports"}, {"remove-ports", "1"}}) {
                final Result refused = instance.ctl(PortInstance.rootlessjctl(), call);
                Expect.oneLineError(refused);
                assertEquals("error: no PortDriver is available", refused.stderr().strip(), refused::describe);
            }
            // pasta looks for newly bound ports about once a second.
            Expect.within(Duration.ofSeconds(20), "pasta forwards TCP port " + tcp, () -> {
                try (Socket probe = Ports.connect(Ports.V4, tcp)) {
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
            assertTcpEchoes(Ports.V4, tcp, instance);
            // Without --ipv6 the launcher runs pasta for IPv4 only (as RootlessKit does): nothing on ::1.
            Ports.assertRefused(Ports.V6, tcp, instance::describe);
            instance.stop();
        }
    }

    /**
     * --port-driver=implicit with a published UDP port: Debian's pasta (2023_03_09) derives its automatic UDP
     * forwards only from sockets bound when it starts, so a UDP server that binds later is never reached through
     * it. The -p UDP ports are passed to pasta as its own --udp-ports instead, on the same number (this pasta
     * echoes nothing back through a translated UDP port).
     */
    @Test
    void implicitPortDriverForwardsThePublishedUdpPorts() {
        final int port = Ports.freeUdpPort();
        try (PortInstance instance = PortInstance.with(sandbox)
                .drivers("--net=pasta", "--port-driver=implicit", "--disable-host-loopback")
                .publish("127.0.0.1:" + port + ":" + port + "/udp")
                .udpServer(port, "socat -T 30 UDP4-LISTEN:" + port + ",fork,reuseaddr PIPE")
                .start()) {
            assertUdpEchoes(Ports.V4, port, instance);
            instance.stop();
        }
    }

    /** A host-side spec of the test. */
    private record Spec(String proto, InetAddress address, int hostPort, int childPort) {
        /** The address as list-ports prints it. */
        String host() {
            return address.equals(Ports.V6) ? "::1" : address.getHostAddress();
        }

        String text() {
            return (address.equals(Ports.V6) ? "[::1]" : host()) + ":" + hostPort + ":" + childPort + "/" + proto;
        }
    }

    private static Optional<String> expectedRefusal(Driver driver, Spec spec) {
        if (spec.proto().endsWith("6") && driver.v6ProtoRefusal.isPresent()) {
            return Optional.of(String.format(driver.v6ProtoRefusal.get(), spec.proto()));
        }
        if (spec.address().equals(Ports.V6) && driver.v6HostRefusal.isPresent()) {
            return driver.v6HostRefusal;
        }
        return Optional.empty();
    }

    /** A TCP echo and a UDP echo inside, on both families, nothing published yet. */
    private PortInstance.Builder echoServers(Driver driver) {
        return PortInstance.with(sandbox)
                .drivers(driver.flags.toArray(String[]::new))
                .tcpServer(TCP_ECHO, "socat -t 30 TCP6-LISTEN:" + TCP_ECHO + ",fork,reuseaddr,backlog=128 PIPE")
                .udpServer(UDP_ECHO, "socat UDP6-LISTEN:" + UDP_ECHO + ",fork,reuseaddr PIPE");
    }

    /** list-ports without its header, blanks made one space. */
    private static List<String> list(PortInstance instance) {
        final Result result = instance.ctl(PortInstance.rootlessjctl(), "list-ports");
        Expect.exitCode(0, result);
        return result.stdoutLines().subList(1, result.stdoutLines().size());
    }

    private static byte[] payload(int n) {
        final byte[] bytes = new byte[1000 + n];
        new Random(n).nextBytes(bytes);
        return bytes;
    }

    /** 256 KiB of random bytes through one connection, half-closed, must come back as they were. */
    private static void assertTcpEchoes(InetAddress address, int port, PortInstance instance) {
        final byte[] sent = new byte[256 * 1024];
        new Random(port).nextBytes(sent);
        try {
            assertArrayEquals(sent, Ports.exchange(address, port, sent), () -> "TCP echo through "
                    + address.getHostAddress() + " port " + port + "\n" + instance.describe());
        } catch (IOException e) {
            throw new AssertionError("TCP echo through " + address.getHostAddress() + " port " + port + ": " + e
                    + "\n" + instance.describe(), e);
        }
    }

    /**
     * Two clients take turns sending datagrams of random sizes, each of which must come back to its sender
     * unchanged. UDP may lose one on a loaded machine, so each is sent again after a second without an answer; an
     * answer to an earlier datagram (late) is skipped, and socat's PIPE (a byte stream) may join repeats into one.
     */
    private static void assertUdpEchoes(InetAddress address, int port, PortInstance instance) {
        try (DatagramSocket first = new DatagramSocket(); DatagramSocket second = new DatagramSocket()) {
            first.connect(new InetSocketAddress(address, port));
            second.connect(new InetSocketAddress(address, port));
            first.setSoTimeout(1000);
            second.setSoTimeout(1000);
            final Random random = new Random(port);
            final List<byte[]> earlier = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                final DatagramSocket client = i % 2 == 0 ? first : second;
                final byte[] sent = new byte[1 + random.nextInt(1400)];
                random.nextBytes(sent);
                awaitEcho(client, sent, earlier, "datagram " + i + " to " + address.getHostAddress() + " port "
                        + port, instance);
                earlier.add(sent);
            }
        } catch (IOException e) {
            throw new AssertionError("UDP echo through " + address.getHostAddress() + " port " + port + ": " + e
                    + "\n" + instance.describe(), e);
        }
    }

    private static void awaitEcho(DatagramSocket client, byte[] sent, List<byte[]> earlier, String what,
            PortInstance instance) throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            client.send(new DatagramPacket(sent, sent.length));
            try {
                while (true) {
                    final DatagramPacket packet = new DatagramPacket(new byte[65536], 65536);
                    client.receive(packet);
                    final byte[] received = Arrays.copyOf(packet.getData(), packet.getLength());
                    if (isRepeatOf(received, sent)) {
                        return;
                    }
                    if (earlier.stream().noneMatch(old -> isRepeatOf(received, old))) {
                        fail(what + " came back as " + received.length + " other bytes\n" + instance.describe());
                    }
                }
            } catch (SocketTimeoutException e) {
                // lost or not served yet: send again
            } catch (PortUnreachableException e) {
                // not served yet (pasta finds a new port within about a second): send again after a while
                Host.sleep(Duration.ofSeconds(1));
            }
        }
        fail(what + ": no echo after 20 attempts\n" + instance.describe());
    }

    private static boolean isRepeatOf(byte[] received, byte[] sent) {
        if (received.length == 0 || received.length % sent.length != 0) {
            return false;
        }
        for (int i = 0; i < received.length; i += sent.length) {
            if (!Arrays.equals(received, i, i + sent.length, sent, 0, sent.length)) {
                return false;
            }
        }
        return true;
    }
}
