package dev.rootlessjkit.net.usernet.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TcpReceiverTest {
    /** The guest's ISN: its first byte is 0xffffffff, its second wraps to 0. */
    private static final int GUEST_ISN = 0xfffffffe;
    private static final int BUFFER = 1 << 20;

    private static TcpReceiver receiver() {
        TcpReceiver r = new TcpReceiver(BUFFER, new ReorderQueue(BUFFER, new ReorderBudget(BUFFER)));
        r.synchronize(GUEST_ISN);
        return r;
    }

    /** A frame with a 20-byte header before {@code text}, as the guest's segments sit in their frames. */
    private static ByteBuf frame(String text) {
        ByteBuf b = Unpooled.directBuffer(20 + text.length());
        b.writeZero(20);
        b.writeCharSequence(text, StandardCharsets.US_ASCII);
        return b;
    }

    private static String written(EmbeddedChannel host) {
        host.flush();
        StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = host.readOutbound()) != null) {
            out.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return out.toString();
    }

    @Test
    void segmentsAheadWaitForTheGapAndAreDeliveredInOrderAcrossTheWrap() {
        TcpReceiver r = receiver();
        EmbeddedChannel host = new EmbeddedChannel();
        int first = GUEST_ISN + 1;
        ByteBuf late = frame("world");
        assertTrue(r.ahead(first + 6));
        r.hold(first + 6, late, 20, 5, true);
        late.release();
        assertEquals(1, r.heldSegments());
        ByteBuf hello = frame("hello ");
        int result = r.deliver(first, hello, 20, 6, false, host);
        assertEquals(TcpReceiver.DELIVERED_DATA | TcpReceiver.DELIVERED_FIN, result);
        assertEquals("hello world", written(host));
        assertEquals(first + 12, r.rcvNxt(), "11 bytes and the FIN, past the wrap");
        assertTrue(r.finReceived());
        assertEquals(0, r.heldSegments());
        assertEquals(0, r.pinnedBytes());
        assertEquals(1, hello.refCnt(), "the caller's frame is the caller's; the host released its slice");
        hello.release();
        host.finishAndReleaseAll();
    }

    @Test
    void aRetransmissionOverlappingWhatWasDeliveredGivesOnlyTheNewBytes() {
        TcpReceiver r = receiver();
        EmbeddedChannel host = new EmbeddedChannel();
        int first = GUEST_ISN + 1;
        ByteBuf a = frame("abc");
        r.deliver(first, a, 20, 3, false, host);
        ByteBuf again = frame("abcdef");
        assertFalse(r.ahead(first));
        assertEquals(TcpReceiver.DELIVERED_DATA, r.deliver(first, again, 20, 6, false, host));
        assertEquals("abcdef", written(host));
        assertEquals(first + 6, r.rcvNxt());
        a.release();
        again.release();
        host.finishAndReleaseAll();
    }

    @Test
    void theAcceptanceTestFollowsTheWindowAcrossTheWrap() {
        TcpReceiver r = receiver();
        int next = GUEST_ISN + 1;
        assertTrue(r.acceptable(next, 0, 0), "an empty segment at RCV.NXT in a zero window");
        assertFalse(r.acceptable(next + 1, 0, 0));
        assertFalse(r.acceptable(next, 1, 0), "no data fits a zero window");
        assertTrue(r.acceptable(next + 99, 1, 100));
        assertFalse(r.acceptable(next + 100, 1, 100));
        assertTrue(r.acceptable(next - 5, 10, 100), "its end reaches into the window");
        assertFalse(r.acceptable(next - 10, 10, 100), "wholly before it");
        assertFalse(r.acceptable(next - 1, 0, 100));
    }

    @Test
    void theWindowIsWhatTheHostSocketTakesScaledIntoSixteenBits() {
        TcpReceiver r = receiver();
        assertEquals(BUFFER, r.windowBytes(null), "no host socket yet: the whole buffer");
        EmbeddedChannel host = new EmbeddedChannel();
        assertEquals(Math.min(BUFFER, host.bytesBeforeUnwritable()), r.windowBytes(host));
        r.windowShift(TcpOptions.receiveShift(BUFFER));
        assertEquals(BUFFER >> 5, r.windowField(BUFFER));
        r.windowShift(0);
        assertEquals(0xffff, r.windowField(BUFFER), "unscaled, at most 16 bits");
        assertTrue(r.startWindowWatch(BUFFER / 2 - 1, true));
        assertFalse(r.startWindowWatch(0, true), "one watch at a time");
        r.windowWatchEnded();
        assertFalse(r.startWindowWatch(BUFFER / 2, true), "half the buffer is open enough");
        assertFalse(r.startWindowWatch(0, false));
        host.finishAndReleaseAll();
    }

    @Test
    void clearReleasesHeldSegments() {
        TcpReceiver r = receiver();
        ByteBuf big = Unpooled.directBuffer(4096).writeZero(4096);
        r.hold(GUEST_ISN + 100, big, 20, 4000, false);
        assertEquals(2, big.refCnt(), "held as a retained slice");
        r.clear();
        assertEquals(1, big.refCnt());
        big.release();
    }
}
