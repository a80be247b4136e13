package dev.rootlessjkit.net.usernet.dns;

import io.netty.buffer.ByteBuf;

/**
 * The little of a DNS message (RFC 1035 4.1) the forwarder reads: the header's ID and counts, and where the question
 * section ends, so that an answer can be matched to the query it claims to answer. Never trusts a length.
 */
final class DnsMessage {
    static final int HEADER_LENGTH = 12;
    /** A name is at most 255 bytes on the wire (RFC 1035 2.3.4). */
    private static final int MAX_NAME = 255;
    private static final int QUESTION_FIXED = 4;
    private static final int RCODE_SERVFAIL = 2;

    private DnsMessage() {
    }

    static int id(ByteBuf m, int off) {
        return m.getUnsignedShort(off);
    }

    /**
     * The end of the question section of the message at {@code m[off, off+len)} (the offset just after its last
     * question), or -1 when the message is too short or a name is malformed. A compression pointer ends a name.
     */
    static int questionEnd(ByteBuf m, int off, int len) {
        if (len < HEADER_LENGTH) {
            return -1;
        }
        int end = off + len;
        int count = m.getUnsignedShort(off + 4);
        int at = off + HEADER_LENGTH;
        for (int q = 0; q < count; q++) {
            int nameStart = at;
            while (true) {
                if (at >= end || at - nameStart >= MAX_NAME) {
                    return -1;
                }
                int label = m.getUnsignedByte(at);
                if (label == 0) {
                    at++;
                    break;
                }
                if ((label & 0xc0) == 0xc0) {
                    at += 2;
                    break;
                }
                if ((label & 0xc0) != 0) {
                    return -1;
                }
                at += 1 + label;
            }
            at += QUESTION_FIXED;
            if (at > end) {
                return -1;
            }
        }
        return at;
    }

    /** Whether the question sections of {@code a} and {@code b} are the same, ASCII case aside. */
    static boolean sameQuestion(ByteBuf a, int aOff, int aEnd, ByteBuf b, int bOff, int bEnd) {
        int n = aEnd - aOff;
        if (n != bEnd - bOff || a.getUnsignedShort(aOff - HEADER_LENGTH + 4) != b.getUnsignedShort(
                bOff - HEADER_LENGTH + 4)) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (lower(a.getByte(aOff + i)) != lower(b.getByte(bOff + i))) {
                return false;
            }
        }
        return true;
    }

    private static int lower(byte c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    /**
     * A SERVFAIL answer to the query at {@code q[0, questionEnd)}: its header with QR and RA set, RCODE 2, and its
     * question only, as a resolver answers what it could not forward.
     */
    static ByteBuf servfail(ByteBuf q, int questionEnd) {
        ByteBuf a = q.alloc().heapBuffer(questionEnd);
        a.writeBytes(q, 0, questionEnd);
        int flags = a.getUnsignedShort(2);
        a.setShort(2, (flags | 0x8080) & ~0x000f | RCODE_SERVFAIL);
        a.setShort(6, 0);
        a.setShort(8, 0);
        a.setShort(10, 0);
        return a;
    }
}
