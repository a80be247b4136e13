package dev.rootlessjkit.net.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The classic pcap file format (what tcpdump -w writes and tcpdump, Wireshark and tshark read): a 24-byte file
 * header, then per packet a 16-byte record header and the captured bytes. Little-endian, microsecond timestamps,
 * Ethernet link type.
 */
public final class Pcap {
    public static final int FILE_HEADER_LENGTH = 24;
    public static final int RECORD_HEADER_LENGTH = 16;
    public static final int MAGIC_MICROSECONDS = 0xa1b2c3d4;
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int MAX_SNAP_LENGTH = 262144;

    private Pcap() {
    }

    public static byte[] fileHeader(int snapLength) {
        return ByteBuffer.allocate(FILE_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(MAGIC_MICROSECONDS)
                .putShort((short) 2).putShort((short) 4) // version 2.4
                .putInt(0) // timezone offset: UTC
                .putInt(0) // timestamp accuracy
                .putInt(snapLength)
                .putInt(LINKTYPE_ETHERNET)
                .array();
    }

    /** A record's 16-byte header and room for {@code capturedLength} bytes, the header filled in. */
    public static ByteBuffer record(long epochMicros, int capturedLength, int originalLength) {
        final ByteBuffer b = ByteBuffer.allocate(RECORD_HEADER_LENGTH + capturedLength).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) (epochMicros / 1_000_000)).putInt((int) (epochMicros % 1_000_000))
                .putInt(capturedLength).putInt(originalLength);
        return b;
    }
}
