package dev.rootlessjkit.net.usernet.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Arbitrary bytes as DNS messages into the forwarder's parser: it never reads outside the message. */
class DnsMessageFuzzTest {
    @FuzzTest(maxDuration = "2m")
    void questionSection(byte[] message) {
        // At an offset inside a larger buffer, as in a received frame: reading past the end would see the padding.
        ByteBuf m = Unpooled.buffer(message.length + 16);
        m.writeZero(8).writeBytes(message).writeZero(8);
        int end = DnsMessage.questionEnd(m, 8, message.length);
        if (end < 0) {
            return;
        }
        assertTrue(end >= 8 + DnsMessage.HEADER_LENGTH && end <= 8 + message.length, "end " + end);
        assertTrue(DnsMessage.sameQuestion(m, 8 + DnsMessage.HEADER_LENGTH, end, m, 8 + DnsMessage.HEADER_LENGTH,
                end));
        ByteBuf q = Unpooled.wrappedBuffer(message);
        ByteBuf a = DnsMessage.servfail(q, DnsMessage.questionEnd(q, 0, message.length));
        assertEquals(end - 8, a.readableBytes());
        assertEquals(2, a.getByte(3) & 0x0f);
        assertEquals(DnsMessage.id(q, 0), DnsMessage.id(a, 0));
    }
}
