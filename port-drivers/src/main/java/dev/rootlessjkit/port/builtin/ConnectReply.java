package dev.rootlessjkit.port.builtin;

import java.nio.ByteBuffer;

/**
 * Child → parent: {@code int32 id | int32 errno}; on success (errno 0) the connected socket travels with the
 * message as SCM_RIGHTS.
 */
record ConnectReply(int id, int errno) {
    static final int BYTES = 8;

    byte[] encode() {
        return ByteBuffer.allocate(BYTES).putInt(id).putInt(errno).array();
    }

    static ConnectReply decode(byte[] buf, int length) {
        if (length != BYTES) {
            return null;
        }
        final ByteBuffer b = ByteBuffer.wrap(buf, 0, length);
        return new ConnectReply(b.getInt(), b.getInt());
    }
}
