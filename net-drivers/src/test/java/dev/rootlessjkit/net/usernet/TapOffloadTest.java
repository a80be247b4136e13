package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.synOptions;
import static dev.rootlessjkit.net.usernet.TestFrames.tcpFrame;
import static dev.rootlessjkit.net.usernet.header.Tcp.ACK;
import static dev.rootlessjkit.net.usernet.header.Tcp.SYN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The TAP path with IFF_VNET_HDR, pipes standing in for the TAP fd (one frame per write, small enough for a pipe to
 * keep it whole): checksums the guest left undone are trusted only when its header says so, and host data goes out
 * as one segment larger than the MSS for the guest's kernel to split, with a partial checksum.
 */
class TapOffloadTest {
    private static final byte[] NONE = new byte[0];

    /** A virtio-net header: flags, GSO type, then four little-endian 16-bit fields. */
    private static byte[] vnet(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset) {
        return ByteBuffer.allocate(VnetHeader.LENGTH).order(ByteOrder.LITTLE_ENDIAN).put((byte) flags)
                .put((byte) gsoType).putShort((short) hdrLen).putShort((short) gsoSize).putShort((short) csumStart)
                .putShort((short) csumOffset).array();
    }

    /** The next header and frame the stack wrote to the device. */
    private static byte[][] read(PipeTap tap) throws IOException {
        byte[] a = tap.receive();
        return new byte[][] {Arrays.copyOf(a, VnetHeader.LENGTH), Arrays.copyOfRange(a, VnetHeader.LENGTH, a.length)};
    }

    /** Completes a checksum the stack left to the guest's kernel (NEEDS_CSUM), as that kernel would. */
    private static void completeChecksum(byte[] f, int start, int offset) {
        int c = TestFrames.checksum(f, start, f.length - start, 0);
        f[start + offset] = (byte) (c >> 8);
        f[start + offset + 1] = (byte) c;
    }

    /** A SYN whose checksum field holds only the pseudo-header sum, as a kernel with checksum offload sends it. */
    private static byte[] synWithPartialChecksum(int port, int dstPort) {
        byte[] f = tcpFrame(GUEST, port, GATEWAY, dstPort, 1000, 0, SYN, 65535, synOptions(1460, 7), NONE);
        int l4 = 14 + 20;
        int partial = ~TestFrames.checksum(new byte[0], 0, 0, TestFrames.pseudo(GUEST, GATEWAY, 6, f.length - l4))
                & 0xffff;
        f[l4 + 16] = (byte) (partial >> 8);
        f[l4 + 17] = (byte) partial;
        return f;
    }

    @Test
    void trustsUndoneChecksumsOnlyWhenToldAndSendsSegmentsForTheGuestToSplit() throws Exception {
        UsernetConfig config = TestConfig.defaults().mtu(1500).build();
        try (PipeTap tap = new PipeTap(true);
                ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                UsernetNetwork net = UsernetNetwork.start(config, tap.device)) {
            server.setSoTimeout(5000);
            int port = server.getLocalPort();
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                // Without NEEDS_CSUM the same frame is just a bad checksum.
                tap.send(vnet(0, 0, 0, 0, 0, 0), synWithPartialChecksum(40000, port));
                // A pipe joins what is written to it: the next frame waits until this one was read and dropped.
                while (net.counters().get(Counter.TCP_BAD_CHECKSUM) == null) {
                    Thread.sleep(1);
                }
                tap.send(vnet(VnetHeader.F_NEEDS_CSUM, 0, 0, 0, 34, 16),
                        synWithPartialChecksum(40001, port));
                byte[][] synAck = read(tap);
                assertArrayEquals(vnet(0, 0, 0, 0, 0, 0), synAck[0], "a complete frame needs no offload");
                Parsed p = new Parsed(synAck[1]);
                p.checkL4();
                assertEquals(40001, p.dstPort());
                assertEquals(SYN | ACK, p.flags());

                try (Socket peer = server.accept()) {
                    tap.send(vnet(0, 0, 0, 0, 0, 0),
                            tcpFrame(GUEST, 40001, GATEWAY, port, 1001, p.seq() + 1, ACK, 65535, NONE, NONE));
                    byte[] data = new byte[3000];
                    new Random(5).nextBytes(data);
                    OutputStream o = peer.getOutputStream();
                    o.write(data);
                    o.flush();

                    byte[][] seg = read(tap);
                    assertArrayEquals(vnet(VnetHeader.F_NEEDS_CSUM, VnetHeader.GSO_TCPV4, 54, 1460, 34, 16), seg[0]);
                    byte[] f = seg[1];
                    // Complete the checksum as the guest's kernel would, then check it as any frame.
                    completeChecksum(f, 34, 16);
                    Parsed d = new Parsed(f);
                    d.checkL4();
                    assertArrayEquals(data, d.payload());
                }
            });
            assertEquals(1L, net.counters().get(Counter.TCP_BAD_CHECKSUM));
            assertEquals(1L, net.counters().get(Counter.TCP_FLOWS_OPENED));
        }
    }

    /** The same offloads over IPv6: TSO6 segments (GSO_TCPV6) for the guest to split. */
    @Test
    void sendsIpv6SegmentsForTheGuestToSplit() throws Exception {
        UsernetConfig config = TestConfig.defaults().mtu(1500).ipv6().build();
        try (PipeTap tap = new PipeTap(true); ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName("::1"));
                UsernetNetwork net = UsernetNetwork.start(config, tap.device)) {
            server.setSoTimeout(5000);
            int port = server.getLocalPort();
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                tap.send(vnet(0, 0, 0, 0, 0, 0), Ipv6Frames.tcp(Ipv6Frames.GUEST, 40002, Ipv6Frames.GATEWAY,
                        port, 1000, 0, SYN, new byte[] {2, 4, 0x05, (byte) 0xa0}, NONE));
                byte[][] synAck;
                do {
                    synAck = read(tap);
                } while (!Ipv6Parsed.isTcp(new Parsed(synAck[1])));
                Ipv6Parsed p = new Ipv6Parsed(new Parsed(synAck[1]));
                p.l4();
                try (Socket peer = server.accept()) {
                    tap.send(vnet(0, 0, 0, 0, 0, 0), Ipv6Frames.tcp(Ipv6Frames.GUEST, 40002,
                            Ipv6Frames.GATEWAY, port, 1001, p.seq() + 1, ACK, NONE, NONE));
                    byte[] data = new byte[3000];
                    new Random(6).nextBytes(data);
                    OutputStream o = peer.getOutputStream();
                    o.write(data);
                    o.flush();

                    byte[][] seg = read(tap);
                    assertArrayEquals(vnet(VnetHeader.F_NEEDS_CSUM, VnetHeader.GSO_TCPV6, 74, 1440, 54, 16), seg[0]);
                    byte[] f = seg[1];
                    completeChecksum(f, 54, 16);
                    Ipv6Parsed d = new Ipv6Parsed(new Parsed(f));
                    d.l4();
                    assertArrayEquals(data, d.payload());
                }
            });
        }
    }

    /** A host's UDP reply reaches the guest with its checksum left to the guest's kernel, and completes right. */
    @Test
    void leavesUdpChecksumsToTheGuest() throws Exception {
        UsernetConfig config = TestConfig.defaults().mtu(1500).build();
        try (PipeTap tap = new PipeTap(true);
                DatagramSocket server = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                UsernetNetwork net = UsernetNetwork.start(config, tap.device)) {
            server.setSoTimeout(5000);
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                tap.send(vnet(0, 0, 0, 0, 0, 0),
                        TestFrames.udpFrame(GUEST, 40003, GATEWAY, server.getLocalPort(), new byte[] {1}));
                DatagramPacket request = new DatagramPacket(new byte[16], 16);
                server.receive(request);
                byte[] data = new byte[1400];
                new Random(7).nextBytes(data);
                server.send(new DatagramPacket(data, data.length, request.getSocketAddress()));

                byte[][] reply = read(tap);
                // Checksum from the start of the UDP header, its field 6 bytes in; headers 14 + 20 + 8 bytes.
                assertArrayEquals(vnet(VnetHeader.F_NEEDS_CSUM, VnetHeader.GSO_NONE, 42, 0, 34, 6), reply[0]);
                byte[] f = reply[1];
                completeChecksum(f, 34, 6);
                Parsed d = new Parsed(f);
                d.checkL4();
                assertEquals(40003, d.dstPort());
                assertArrayEquals(data, d.payload());
            });
        }
    }
}
