package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TAP path end to end, with pipes standing in for the TAP fd: one frame per write and read, in turn. */
class UsernetNetworkTest {
    @Test
    void answersFramesFromTheDeviceOnTheDevice() throws Exception {
        UsernetConfig config = TestConfig.defaults().mtu(1500).build();
        try (PipeTap tap = new PipeTap(false); UsernetNetwork net = UsernetNetwork.start(config, tap.device)) {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                tap.send(TestFrames.arpRequest(GUEST_MAC, GUEST, GATEWAY));
                Parsed arp = new Parsed(tap.receive());
                assertEquals(0x0806, arp.ethType());
                assertEquals(GUEST_MAC, arp.ethDst());

                byte[] data = new byte[1000];
                Arrays.fill(data, (byte) 9);
                tap.send(TestFrames.ipFrame(TestFrames.ipv4(GUEST, GATEWAY, 1, 1, 0, new byte[0],
                        TestFrames.icmpEcho(5, 6, data))));
                Parsed echo = new Parsed(tap.receive());
                assertTrue(echo.isIcmp());
                echo.checkL4();
                assertArrayEquals(data, Arrays.copyOfRange(echo.raw, echo.l4() + 8, echo.raw.length));
            });
            assertEquals(2L, net.counters().get(Counter.FRAMES_IN));
        }
    }

    @Test
    void readsIpv4NameserversFromResolvConf(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("resolv.conf");
        Files.writeString(f, "# comment\nsearch example\nnameserver 127.0.0.53\nnameserver ::1\n"
                + "nameserver   192.0.2.1 \noptions edns0\n");
        assertEquals(List.of(new InetSocketAddress("127.0.0.53", 53), new InetSocketAddress("192.0.2.1", 53)),
                ResolvConf.nameservers(f));
        assertEquals(List.of(), ResolvConf.nameservers(dir.resolve("missing")));
    }
}
