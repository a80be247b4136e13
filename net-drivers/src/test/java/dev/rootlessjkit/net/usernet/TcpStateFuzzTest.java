package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.header.Tcp.FIN;
import static dev.rootlessjkit.net.usernet.header.Tcp.SYN;
import static dev.rootlessjkit.net.usernet.header.Tcp.RST;
import static dev.rootlessjkit.net.usernet.header.Tcp.PSH;
import static dev.rootlessjkit.net.usernet.header.Tcp.ACK;
import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.synOptions;
import static dev.rootlessjkit.net.usernet.TestFrames.tcpFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.net.usernet.UsernetConfig.TableLimits;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Stateful TCP fuzzing with a seeded generator: connections driven with random but plausible segment sequences
 * (gaps, overlaps, sequence numbers wrapping through zero, window 0, ACKs of anything, RST/FIN/SYN storms), with a
 * host peer that sometimes never reads. After every segment: nothing escaped the stack, and what each flow and all
 * flows hold stays within the bounds; afterwards a fresh connection still works. A failing seed is printed, so
 * that it can be replayed.
 */
class TcpStateFuzzTest {
    static final byte[] NONE = new byte[0];
    static final int RECEIVE_BUFFER = 64 * 1024;
    static final int SEND_BUFFER = 64 * 1024;
    /** One flow may hold: its reorder queue, its send queue plus one host read, its host backlog plus one segment. */
    static final long PER_FLOW_BOUND = RECEIVE_BUFFER + (SEND_BUFFER + 65536) + (RECEIVE_BUFFER + 65536);
    static final int SEEDS = 24;
    static final int SEGMENTS = 600;
    static final int FLOWS = 4;

    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();

    private static UsernetConfig config() {
        return TestConfig.defaults().tcpOutbound(new TableLimits(FLOWS * 2, FLOWS * 2, FLOWS * 2))
                .tcpBuffers(RECEIVE_BUFFER, SEND_BUFFER).build();
    }

    /** The guest's view of one connection: where its data starts and what the stack said last. */
    private static final class Flow {
        final int port;
        int isn;
        int stackIsn;
        int stackNext;

        Flow(int port) {
            this.port = port;
        }
    }

    @Test
    void randomSegmentSequencesKeepEveryBoundAndTheStackServing() throws IOException {
        for (int seed = 1; seed <= SEEDS; seed++) {
            try {
                run(seed);
            } catch (AssertionError | IOException | RuntimeException e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    private void run(long seed) throws IOException {
        Random random = new Random(seed);
        boolean peerReads = random.nextBoolean();
        List<Socket> accepted = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                StackHarness h = stacks.harness(config())) {
            server.setReceiveBufferSize(8192);
            server.setSoTimeout(5000);
            List<Flow> flows = new ArrayList<>();
            for (int i = 0; i < FLOWS; i++) {
                Flow f = new Flow(41000 + i);
                // Sequence numbers that wrap through zero within the first few segments.
                f.isn = -1000 - random.nextInt(20000);
                h.send(tcpFrame(GUEST, f.port, GATEWAY, server.getLocalPort(), f.isn, 0, SYN,
                        random.nextInt(65536), synOptions(1460, random.nextInt(15)), NONE));
                Socket s = server.accept();
                accepted.add(s);
                Parsed synAck = h.next(p -> p.isTcp() && p.dstPort() == f.port && p.has(SYN));
                f.stackIsn = synAck.seq();
                f.stackNext = f.stackIsn + 1;
                flows.add(f);
                if (peerReads) {
                    drain(s);
                } else {
                    // The host sends data too, so the stack has something to hold for the guest.
                    s.getOutputStream().write(new byte[random.nextInt(100_000)]);
                }
            }
            for (int n = 0; n < SEGMENTS; n++) {
                Flow f = flows.get(random.nextInt(FLOWS));
                h.send(segment(random, f, server.getLocalPort()));
                if (random.nextInt(50) == 0) {
                    h.advance(java.time.Duration.ofMillis(random.nextInt(3000)));
                }
                long[] held = h.onLoop(h.stack::tcpBuffered);
                assertTrue(held[0] <= PER_FLOW_BOUND, "one flow holds " + held[0]);
                assertTrue(held[1] <= PER_FLOW_BOUND * FLOWS * 2, "all flows hold " + held[1]);
                assertTrue(held[2] <= 2048, "held segments " + held[2]);
                assertTrue(h.onLoop(h.stack::tcpFlowCount) <= FLOWS * 2);
                h.out.clear();
            }
            freshConnectionWorks(h, server);
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    private static byte[] segment(Random random, Flow f, int serverPort) {
        int kind = random.nextInt(100);
        int flags;
        if (kind < 70) {
            flags = ACK | (random.nextBoolean() ? PSH : 0);
        } else if (kind < 80) {
            flags = ACK | FIN;
        } else if (kind < 88) {
            flags = random.nextBoolean() ? RST : RST | ACK;
        } else if (kind < 93) {
            flags = SYN;
        } else {
            flags = random.nextInt(64);
        }
        // Mostly near the data the stack expects next: gaps, overlaps, retransmissions, and far away now and then.
        int offset = switch (random.nextInt(4)) {
            case 0 -> random.nextInt(3000);
            case 1 -> random.nextInt(200_000) - 50_000;
            case 2 -> random.nextInt(70_000);
            default -> random.nextInt();
        };
        int seq = f.isn + 1 + offset;
        int length = random.nextInt(10) == 0 ? random.nextInt(60_000) : random.nextInt(1461);
        if ((flags & (SYN | RST)) != 0 && random.nextBoolean()) {
            length = 0;
        }
        int ack = random.nextInt(8) == 0 ? random.nextInt() : f.stackNext + random.nextInt(200_000) - 1000;
        int window = random.nextInt(5) == 0 ? 0 : random.nextInt(65536);
        byte[] data = new byte[length];
        random.nextBytes(data);
        return tcpFrame(GUEST, f.port, GATEWAY, serverPort, seq, ack, flags, window, NONE, data);
    }

    private static void drain(Socket s) {
        Thread t = new Thread(() -> {
            byte[] b = new byte[65536];
            try (InputStream in = s.getInputStream()) {
                while (in.read(b) >= 0) {
                    // discard
                }
            } catch (IOException e) {
                // reset by the stack: the storm's RSTs
            }
        }, "tcp-fuzz-drain");
        t.setDaemon(true);
        t.start();
    }

    private static void freshConnectionWorks(StackHarness h, ServerSocket server) throws IOException {
        h.advance(java.time.Duration.ofMinutes(10));
        h.out.clear();
        int port = 42000;
        h.send(tcpFrame(GUEST, port, GATEWAY, server.getLocalPort(), 5000, 0, SYN, 65535, synOptions(1460, -1),
                NONE));
        try (Socket peer = server.accept()) {
            Parsed synAck = h.next(p -> p.isTcp() && p.dstPort() == port && p.has(SYN));
            h.send(tcpFrame(GUEST, port, GATEWAY, server.getLocalPort(), 5001, synAck.seq() + 1, ACK, 65535, NONE,
                    NONE));
            h.send(tcpFrame(GUEST, port, GATEWAY, server.getLocalPort(), 5001, synAck.seq() + 1, ACK | PSH, 65535,
                    NONE, "fresh".getBytes()));
            peer.setSoTimeout(5000);
            assertArrayEquals("fresh".getBytes(), peer.getInputStream().readNBytes(5));
            assertEquals(ACK | SYN, synAck.flags() & (ACK | SYN));
        }
    }
}
