package dev.rootlessjkit.net.usernet.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class TcpSenderTest {
    /** ISS + 1 is 0xfffffff1: the stream's 16th byte wraps to sequence number 0. */
    private static final int ISS = 0xfffffff0;

    private static TcpSender established(int mss, int window) {
        TcpSender s = new TcpSender(ISS);
        s.segmentSizes(mss, mss, 0);
        s.synSent();
        s.synAcked(1000, ISS + 1, window);
        return s;
    }

    private static ByteBuf bytes(int n) {
        return Unpooled.directBuffer(n).writeZero(n);
    }

    @Test
    void theWindowAndTheMssCutWhatGoesOutAcrossTheWrap() {
        TcpSender s = established(1000, 2500);
        s.queue(bytes(5000), 1 << 20);
        assertEquals(1000, s.nextSegmentLength());
        s.sent(1000);
        assertEquals(1000, s.nextSegmentLength());
        s.sent(1000);
        assertEquals(500, s.nextSegmentLength(), "the window's last 500 bytes");
        assertFalse(s.endsQueue(500));
        s.sent(500);
        assertEquals(0, s.nextSegmentLength(), "window full");
        assertEquals(2500, s.inFlight());
        assertEquals(ISS + 1 + 2500, s.sndNxt());
        assertTrue(SeqNum.lessThan(s.sndUna(), s.sndNxt()), "SND.NXT wrapped past 0 and is still after SND.UNA");
        s.clear();
    }

    @Test
    void anAckAcrossTheWrapReleasesWhatItCoversAndOpensTheWindow() {
        TcpSender s = established(1000, 2000);
        ByteBuf first = bytes(1500);
        ByteBuf second = bytes(1500);
        s.queue(first, 1 << 20);
        s.queue(second, 1 << 20);
        s.sent(s.nextSegmentLength());
        s.sent(s.nextSegmentLength());
        int ack = ISS + 1 + 1500;
        assertTrue(s.acksNew(ack));
        assertFalse(s.acksUnsent(ack));
        assertTrue(s.acksUnsent(ISS + 1 + 2001), "beyond anything sent");
        s.acknowledge(ack);
        assertEquals(0, first.refCnt(), "the first buffer is wholly acknowledged: released");
        assertEquals(1, second.refCnt());
        assertEquals(1500, s.queued());
        assertEquals(500, s.inFlight());
        s.updateWindow(1000, ack, 2000);
        assertEquals(1000, s.nextSegmentLength(), "the window slid: the rest may go");
        assertTrue(s.endsQueue(1000));
        s.clear();
        assertEquals(0, second.refCnt());
    }

    @Test
    void finTakesItsPlaceOnceEverythingIsSentAndIsAcknowledgedPastIt() {
        TcpSender s = established(1000, 10_000);
        s.queue(bytes(100), 1 << 20);
        s.hostEof();
        assertFalse(s.placeFin(), "data still unsent");
        s.sent(s.nextSegmentLength());
        assertTrue(s.placeFin());
        assertFalse(s.placeFin(), "only once");
        assertEquals(ISS + 1 + 100, s.finSeq());
        assertTrue(s.finDue());
        s.finSent();
        assertFalse(s.finDue());
        s.acknowledge(s.finSeq());
        assertFalse(s.finAcknowledged(), "the data is acknowledged, the FIN not yet");
        assertTrue(s.finFirstUnacknowledged());
        s.acknowledge(s.finSeq() + 1);
        assertTrue(s.finAcknowledged());
        assertTrue(s.allAcknowledged());
    }

    @Test
    void theThirdDuplicateAckAsksForAFastRetransmit() {
        TcpSender s = established(1000, 10_000);
        s.queue(bytes(3000), 1 << 20);
        s.sent(1000);
        int una = s.sndUna();
        assertFalse(s.duplicateAck(una, false, 10_000));
        assertFalse(s.duplicateAck(una, true, 10_000), "a segment with data is no duplicate ACK");
        assertFalse(s.duplicateAck(una, false, 20_000), "nor one that changes the window");
        assertFalse(s.duplicateAck(una, false, 10_000));
        assertTrue(s.duplicateAck(una, false, 10_000));
        assertFalse(s.duplicateAck(una, false, 10_000), "once per loss");
        s.clear();
    }

    @Test
    void anOlderSegmentDoesNotTakeBackTheWindow() {
        TcpSender s = established(1000, 5000);
        s.queue(bytes(100), 1 << 20);
        s.updateWindow(0xfffffffe, ISS + 1, 0);
        assertEquals(100, s.nextSegmentLength(), "seq 0xfffffffe is before the window's segment, 1000");
        s.updateWindow(1001, ISS + 1, 0);
        assertEquals(0, s.nextSegmentLength(), "a later segment closes the window");
        s.updateWindow(1000, ISS + 1, 5000);
        assertEquals(0, s.nextSegmentLength(), "an earlier one does not reopen it");
        s.clear();
    }

    @Test
    void readingPausesAtTheSendBufferAndResumesBelowHalfOfIt() {
        TcpSender s = established(1000, 10_000);
        assertFalse(s.queue(bytes(3000), 4000));
        assertTrue(s.queue(bytes(1000), 4000));
        assertFalse(s.queue(bytes(1000), 4000), "paused already");
        s.sent(s.nextSegmentLength());
        s.acknowledge(ISS + 1 + 1000);
        assertFalse(s.resumeReading(4000), "4000 still queued");
        s.sent(s.nextSegmentLength());
        s.sent(s.nextSegmentLength());
        s.sent(s.nextSegmentLength());
        s.acknowledge(ISS + 1 + 3500);
        assertTrue(s.resumeReading(4000));
        assertFalse(s.resumeReading(4000));
        s.clear();
    }

    @Test
    void aTimeoutGoesBackToTheFirstUnacknowledgedSegment() {
        TcpSender s = established(1000, 10_000);
        s.queue(bytes(3000), 1 << 20);
        s.sent(1000);
        s.sent(1000);
        assertEquals(1000, s.firstSegmentLength());
        s.wentBackToFirst();
        assertEquals(ISS + 1 + 1000, s.sndNxt());
        assertFalse(s.allAcknowledged(), "SND.MAX stays where it was");
        s.acknowledge(ISS + 1 + 2000);
        assertEquals(ISS + 1 + 2000, s.sndNxt(), "an ACK past SND.NXT pulls it along");
        s.clear();
    }

    @Test
    void aZeroWindowWithDataWaitingAndNothingInFlightStalls() {
        TcpSender s = established(1000, 0);
        s.queue(bytes(10), 1 << 20);
        assertEquals(0, s.nextSegmentLength());
        assertTrue(s.stalledOnZeroWindow());
        assertTrue(s.zeroWindowProbeWanted());
        s.clear();
    }
}
