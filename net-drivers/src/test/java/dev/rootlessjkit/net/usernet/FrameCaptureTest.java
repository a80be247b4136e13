package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.header.Tcp.SYN;
import static dev.rootlessjkit.net.usernet.header.Tcp.RST;
import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.synOptions;
import static dev.rootlessjkit.net.usernet.TestFrames.tcpFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.net.api.PacketCapture;
import dev.rootlessjkit.net.api.Pcap;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** rootlessjctl capture's source: the frames both ways, filtered by port, cut to the snap length, never queued. */
class FrameCaptureTest {
    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();


    private static final class Collector implements PacketCapture.Target {
        final List<byte[]> records = new CopyOnWriteArrayList<>();
        final AtomicBoolean ready = new AtomicBoolean(true);

        @Override
        public boolean ready() {
            return ready.get();
        }

        @Override
        public void write(byte[] record) {
            records.add(record);
        }
    }

    /** A SYN to a closed host port, and the RST the stack answers with: one frame each way. */
    private static byte[] synToClosedPort(StackHarness h, int guestPort) throws IOException {
        final int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        final byte[] syn = tcpFrame(GUEST, guestPort, GATEWAY, closed, 100, 0, SYN, 65535, synOptions(1460, -1),
                new byte[0]);
        h.send(syn);
        assertTrue(h.next(f -> f.isTcp() && f.dstPort() == guestPort).has(RST));
        return syn;
    }

    private static int intAt(byte[] record, int offset) {
        return ByteBuffer.wrap(record, offset, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    @Test
    void recordsFramesBothWaysWithPcapHeadersAndStopsWhenClosed() throws Exception {
        try (StackHarness h = stacks.harness()) {
            final Collector all = new Collector();
            final AutoCloseable handle = h.stack.capture().start(0, Pcap.MAX_SNAP_LENGTH, all);
            final byte[] syn = synToClosedPort(h, 40001);
            assertEquals(2, all.records.size(), "the SYN in and the RST out");
            final byte[] in = all.records.get(0);
            assertEquals(syn.length, intAt(in, 8), "captured length");
            assertEquals(syn.length, intAt(in, 12), "original length");
            assertArrayEquals(syn, Arrays.copyOfRange(in, Pcap.RECORD_HEADER_LENGTH, in.length));
            assertTrue(Math.abs(intAt(in, 0) - System.currentTimeMillis() / 1000) < 60, "a wall-clock timestamp");

            handle.close();
            assertTrue(!h.stack.capture().active());
            synToClosedPort(h, 40002);
            assertEquals(2, all.records.size(), "nothing after the capture ended");
        }
    }

    @Test
    void filtersByPortCutsToTheSnapLengthAndDropsForASlowReader() throws Exception {
        try (StackHarness h = stacks.harness()) {
            final Collector port = new Collector();
            final Collector cut = new Collector();
            final Collector slow = new Collector();
            slow.ready.set(false);
            try (AutoCloseable a = h.stack.capture().start(40003, Pcap.MAX_SNAP_LENGTH, port);
                    AutoCloseable b = h.stack.capture().start(0, 54, cut);
                    AutoCloseable c = h.stack.capture().start(0, Pcap.MAX_SNAP_LENGTH, slow)) {
                synToClosedPort(h, 40004);
                synToClosedPort(h, 40003);
                assertEquals(2, port.records.size(), "only port 40003's SYN and RST");
                assertEquals(4, cut.records.size());
                final byte[] first = cut.records.get(0);
                assertEquals(Pcap.RECORD_HEADER_LENGTH + 54, first.length);
                assertEquals(54, intAt(first, 8));
                assertTrue(intAt(first, 12) > 54, "the original length stays");
                assertEquals(0, slow.records.size(), "a reader that is not ready loses records, nothing queues");
            }
        }
    }

    @Test
    void refusesMoreCapturesThanTheBoundAndBadArguments() throws Exception {
        try (StackHarness h = stacks.harness()) {
            final FrameCapture capture = h.stack.capture();
            final AutoCloseable[] running = new AutoCloseable[PacketCapture.MAX_CAPTURES];
            for (int i = 0; i < running.length; i++) {
                running[i] = capture.start(0, 100, new Collector());
            }
            assertThrows(IOException.class, () -> capture.start(0, 100, new Collector()));
            running[0].close();
            capture.start(0, 100, new Collector()).close();
            assertThrows(IOException.class, () -> capture.start(70000, 100, new Collector()));
            assertThrows(IOException.class, () -> capture.start(0, 1, new Collector()));
            for (AutoCloseable r : running) {
                r.close();
            }
        }
    }
}
