package dev.rootlessjkit.net.usernet.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Frames made of slices of the queue: the right bytes, valid after acknowledgment, and every reference returned. */
class SendQueueTest {
    private static final byte[] HEADER = {(byte) 0xee, (byte) 0xdd, (byte) 0xcc};

    /** {@code pieces} buffers of {@code size} bytes, each byte its offset in the stream (mod 251). */
    private static List<ByteBuf> stream(int pieces, int size) {
        List<ByteBuf> buffers = new ArrayList<>();
        for (int p = 0; p < pieces; p++) {
            ByteBuf b = Unpooled.directBuffer(size);
            for (int i = 0; i < size; i++) {
                b.writeByte((p * size + i) % 251);
            }
            buffers.add(b);
        }
        return buffers;
    }

    private static byte[] expected(int offset, int length) {
        byte[] e = new byte[HEADER.length + length];
        System.arraycopy(HEADER, 0, e, 0, HEADER.length);
        for (int i = 0; i < length; i++) {
            e[HEADER.length + i] = (byte) ((offset + i) % 251);
        }
        return e;
    }

    private static ByteBuf header() {
        return Unpooled.directBuffer(HEADER.length).writeBytes(HEADER);
    }

    @Test
    void aFrameSpanningBuffersHoldsTheBytesAfterTheyAreAcknowledged() {
        List<ByteBuf> buffers = stream(4, 1000);
        SendQueue q = new SendQueue();
        buffers.forEach(q::add);
        q.discard(300);
        // From stream byte 300 + 500 on: the end of the first buffer, two whole ones, the start of the fourth.
        ByteBuf frame = q.frame(header(), 500, 2700);
        q.discard(q.size());
        buffers.forEach(b -> assertEquals(1, b.refCnt(), "the frame's slice keeps the acknowledged buffer"));
        assertArrayEquals(expected(800, 2700), ByteBufUtil.getBytes(frame));
        frame.release();
        buffers.forEach(b -> assertEquals(0, b.refCnt()));
    }

    @Test
    void aPayloadOfManySmallReadsIsGatheredIntoFewPieces() {
        int pieces = SendQueue.MAX_PAYLOAD_PIECES * 8;
        List<ByteBuf> buffers = stream(pieces, 7);
        SendQueue q = new SendQueue();
        buffers.forEach(q::add);
        ByteBuf frame = q.frame(header(), 3, pieces * 7 - 3);
        assertArrayEquals(expected(3, pieces * 7 - 3), ByteBufUtil.getBytes(frame));
        assertTrue(frame.nioBufferCount() <= SendQueue.MAX_PAYLOAD_PIECES + 1,
                "pieces in one writev: " + frame.nioBufferCount());
        frame.release();
        q.clear();
        buffers.forEach(b -> assertEquals(0, b.refCnt()));
    }

    @Test
    void askingBeyondTheQueueIsABugAndLeaksNothing() {
        List<ByteBuf> buffers = stream(2, 100);
        SendQueue q = new SendQueue();
        buffers.forEach(q::add);
        ByteBuf header = header();
        assertThrows(IllegalStateException.class, () -> q.frame(header, 150, 51));
        assertEquals(0, header.refCnt());
        q.clear();
        buffers.forEach(b -> assertEquals(0, b.refCnt()));
    }
}
