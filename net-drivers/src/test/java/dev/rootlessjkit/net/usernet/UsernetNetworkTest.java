package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TAP path end to end, with pipes standing in for the TAP fd: one frame per write and read, in turn. */
class UsernetNetworkTest {
    private static void write(FileDescriptor fd, byte[] frame) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(frame.length);
        b.put(frame).flip();
        assertEquals(frame.length, fd.write(b, 0, frame.length));
    }

    private static Parsed read(FileDescriptor fd) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(70000);
        int n;
        // Netty's pipes are non-blocking: 0 means nothing yet.
        while ((n = fd.read(b, 0, b.capacity())) == 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        byte[] a = new byte[n];
        b.get(0, a);
        return new Parsed(a);
    }

    @Test
    void answersFramesFromTheDeviceOnTheDevice() throws Exception {
        Epoll.ensureAvailability();
        FileDescriptor[] toStack = FileDescriptor.pipe();
        FileDescriptor[] fromStack = FileDescriptor.pipe();
        TapDevice tap = new TapDevice(toStack[0], fromStack[1], 1500, false, ByteBufAllocator.DEFAULT, System.err::println);
        UsernetConfig config = new UsernetConfig("10.0.2.0/24", 1500, false, List.of(), null);
        try (UsernetNetwork net = UsernetNetwork.start(config, tap)) {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                write(toStack[1], TestFrames.arpRequest(GUEST_MAC, GUEST, GATEWAY));
                Parsed arp = read(fromStack[0]);
                assertEquals(0x0806, arp.ethType());
                assertEquals(GUEST_MAC, arp.ethDst());

                byte[] data = new byte[1000];
                Arrays.fill(data, (byte) 9);
                write(toStack[1], TestFrames.ipFrame(TestFrames.ipv4(GUEST, GATEWAY, 1, 1, 0, new byte[0],
                        TestFrames.icmpEcho(5, 6, data))));
                Parsed echo = read(fromStack[0]);
                assertTrue(echo.isIcmp());
                echo.checkL4();
                assertArrayEquals(data, Arrays.copyOfRange(echo.raw, echo.l4() + 8, echo.raw.length));
            });
            assertEquals(2L, net.counters().get(Counter.FRAMES_IN));
        } finally {
            toStack[1].close();
            fromStack[0].close();
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
