package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.TestFrames.DNS;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.udpFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The DNS forwarder under a burst, and against answers that do not match what was asked. */
class DnsForwarderTest {
    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();


    /** A query for {@code name}, type A, class IN. */
    static byte[] query(int id, String name) {
        byte[] n = name.getBytes();
        byte[] q = new byte[12 + 2 + n.length + 4];
        q[0] = (byte) (id >> 8);
        q[1] = (byte) id;
        q[2] = 1;
        q[5] = 1;
        q[12] = (byte) n.length;
        System.arraycopy(n, 0, q, 13, n.length);
        q[q.length - 3] = 1;
        q[q.length - 1] = 1;
        return q;
    }

    static byte[] answer(byte[] query) {
        byte[] a = query.clone();
        a[2] = (byte) 0x81;
        a[3] = (byte) 0x80;
        return a;
    }

    private static DatagramSocket resolver() throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setReceiveBufferSize(4 << 20);
        s.setSoTimeout(10_000);
        return s;
    }

    private static UsernetConfig config(DatagramSocket resolver) {
        return UsernetConfig.defaults(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                resolver.getLocalPort())));
    }

    @Test
    void twoThousandQueriesSentAtOnceAreAllAnswered() throws IOException {
        int n = 2000;
        try (DatagramSocket resolver = resolver(); StackHarness h = stacks.harness(config(resolver))) {
            // Every query in one batch of the loop, as a burst from the guest arrives.
            h.run(() -> {
                for (int i = 0; i < n; i++) {
                    byte[] f = udpFrame(GUEST, 10000 + i, DNS, 53, query(i, "host" + i));
                    ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(f.length);
                    b.writeBytes(f);
                    h.stack.receive(b);
                }
            });
            List<DatagramPacket> received = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                DatagramPacket p = new DatagramPacket(new byte[512], 512);
                resolver.receive(p);
                received.add(p);
            }
            // And every answer at once, as a resolver with them cached sends them.
            for (DatagramPacket p : received) {
                byte[] a = answer(Arrays.copyOf(p.getData(), p.getLength()));
                resolver.send(new DatagramPacket(a, a.length, p.getSocketAddress()));
            }
            Set<Integer> answered = new HashSet<>();
            for (int i = 0; i < n; i++) {
                Parsed r = h.next(f -> f.isUdp() && f.srcPort() == 53);
                byte[] a = r.payload();
                int id = ((a[0] & 0xff) << 8) | (a[1] & 0xff);
                assertEquals(10000 + id, r.dstPort(), "the guest's ID back to the port that asked");
                assertArrayEquals(answer(query(id, "host" + id)), a);
                answered.add(id);
            }
            assertEquals(n, answered.size());
            assertEquals(0, h.onLoop(h.stack::dnsPendingCount));
        }
    }

    @Test
    void answersThatDoNotMatchTheQueryAreDropped() throws IOException {
        try (DatagramSocket resolver = resolver(); DatagramSocket spoofer = resolver();
                StackHarness h = stacks.harness(config(resolver))) {
            h.send(udpFrame(GUEST, 5353, DNS, 53, query(0xbeef, "example")));
            DatagramPacket p = new DatagramPacket(new byte[512], 512);
            resolver.receive(p);
            byte[] asked = Arrays.copyOf(p.getData(), p.getLength());
            SocketAddress forwarder = p.getSocketAddress();

            byte[] otherQuestion = answer(asked);
            otherQuestion[13] = 'X';
            resolver.send(new DatagramPacket(otherQuestion, otherQuestion.length, forwarder));
            byte[] otherId = answer(asked);
            otherId[1] ^= 1;
            resolver.send(new DatagramPacket(otherId, otherId.length, forwarder));
            byte[] right = answer(asked);
            spoofer.send(new DatagramPacket(right, right.length, forwarder));
            h.expectNothing(300);
            assertEquals(3, h.counter(Counter.DNS_UNMATCHED_ANSWERS));

            resolver.send(new DatagramPacket(right, right.length, forwarder));
            Parsed r = h.next(f -> f.isUdp() && f.dstPort() == 5353);
            assertArrayEquals(answer(query(0xbeef, "example")), r.payload());
            h.expectNothing(100);
        }
    }

    @Test
    void queriesComeFromSeveralSourcePorts() throws IOException {
        try (DatagramSocket resolver = resolver(); StackHarness h = stacks.harness(config(resolver))) {
            Set<Integer> ports = new HashSet<>();
            for (int i = 0; i < 64; i++) {
                h.send(udpFrame(GUEST, 5353, DNS, 53, query(i, "q" + i)));
                DatagramPacket p = new DatagramPacket(new byte[512], 512);
                resolver.receive(p);
                ports.add(p.getPort());
            }
            assertTrue(ports.size() > 4, "source ports: " + ports);
            h.out.poll(0, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
