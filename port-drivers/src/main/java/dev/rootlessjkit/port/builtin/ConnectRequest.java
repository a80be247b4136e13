package dev.rootlessjkit.port.builtin;

import java.nio.ByteBuffer;

/**
 * Parent → child over {@code .bp.sock} (SOCK_SEQPACKET, one message each): "connect a TCP/UDP socket to this
 * address inside the namespace and pass it back". Both halves are ours, so the format is a fixed binary layout
 * rather than RootlessKit's framed JSON: it sits on the per-connection hot path.
 *
 * <pre>
 * int32 id | int8 kind (1 tcp, 2 udp) | int8 address length (4 or 16) | uint16 port | address bytes
 * </pre>
 */
record ConnectRequest(int id, boolean tcp, byte[] address, int port) {
    static final int MAX_BYTES = 8 + 16;

    byte[] encode() {
        final ByteBuffer b = ByteBuffer.allocate(8 + address.length);
        b.putInt(id).put((byte) (tcp ? 1 : 2)).put((byte) address.length).putShort((short) port).put(address);
        return b.array();
    }

    /** Null when the bytes are not a request (never sent by our parent half). */
    static ConnectRequest decode(byte[] buf, int length) {
        if (length < 8) {
            return null;
        }
        final ByteBuffer b = ByteBuffer.wrap(buf, 0, length);
        final int id = b.getInt();
        final int kind = b.get();
        final int alen = b.get();
        final int port = b.getShort() & 0xffff;
        if (kind != 1 && kind != 2 || alen != 4 && alen != 16 || length != 8 + alen) {
            return null;
        }
        final byte[] address = new byte[alen];
        b.get(address);
        return new ConnectRequest(id, kind == 1, address, port);
    }
}
