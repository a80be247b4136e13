package dev.rootlessjkit.port.builtin;

import java.nio.ByteBuffer;

/**
 * Parent → child over {@code .bp.sock} (SOCK_SEQPACKET, one message each): "connect a TCP/UDP socket to this
 * address inside the namespace and pass it back". Both halves are ours, so the format is a fixed binary layout
 * rather than RootlessKit's framed JSON: it sits on the per-connection hot path.
 *
 * <p>{@code source} is the client's address and port as the parent's listener saw it (an empty array when
 * unknown): with {@code --source-ip-transparent} the child half dials from it, so the server inside sees the client.
 *
 * <pre>
 * int32 id | int8 kind (1 tcp, 2 udp) | int8 address length (4 or 16) | uint16 port
 *          | int8 source length (0, 4 or 16) | uint16 source port | address bytes | source bytes
 * </pre>
 */
record ConnectRequest(int id, boolean tcp, byte[] address, int port, byte[] source, int sourcePort) {
    private static final int HEADER_BYTES = 11;
    static final int MAX_BYTES = HEADER_BYTES + 16 + 16;

    byte[] encode() {
        final ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + address.length + source.length);
        b.putInt(id).put((byte) (tcp ? 1 : 2)).put((byte) address.length).putShort((short) port)
                .put((byte) source.length).putShort((short) sourcePort).put(address).put(source);
        return b.array();
    }

    boolean hasSource() {
        return source.length != 0;
    }

    /** Null when the bytes are not a request (never sent by our parent half). */
    static ConnectRequest decode(byte[] buf, int length) {
        if (length < HEADER_BYTES) {
            return null;
        }
        final ByteBuffer b = ByteBuffer.wrap(buf, 0, length);
        final int id = b.getInt();
        final int kind = b.get();
        final int alen = b.get();
        final int port = b.getShort() & 0xffff;
        final int slen = b.get();
        final int sourcePort = b.getShort() & 0xffff;
        if (kind != 1 && kind != 2 || alen != 4 && alen != 16 || slen != 0 && slen != 4 && slen != 16
                || length != HEADER_BYTES + alen + slen) {
            return null;
        }
        final byte[] address = new byte[alen];
        b.get(address);
        final byte[] source = new byte[slen];
        b.get(source);
        return new ConnectRequest(id, kind == 1, address, port, source, sourcePort);
    }
}
