package dev.rootlessjkit.net.usernet.tcp;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;

/**
 * Bytes read from the host socket that the guest has not acknowledged yet, from SND.UNA on. The buffers Netty read
 * are kept as they are (no copy) until every byte of them is acknowledged.
 */
final class SendQueue {
    private final ArrayDeque<ByteBuf> buffers = new ArrayDeque<>();
    private int size;

    /** Takes ownership. */
    void add(ByteBuf data) {
        if (!data.isReadable()) {
            data.release();
            return;
        }
        buffers.add(data);
        size += data.readableBytes();
    }

    int size() {
        return size;
    }

    /** Copies {@code length} bytes starting {@code offset} bytes after SND.UNA into {@code dst}. */
    void copy(int offset, int length, ByteBuf dst) {
        int skip = offset;
        int left = length;
        for (ByteBuf b : buffers) {
            int n = b.readableBytes();
            if (skip >= n) {
                skip -= n;
                continue;
            }
            int take = Math.min(n - skip, left);
            dst.writeBytes(b, b.readerIndex() + skip, take);
            left -= take;
            skip = 0;
            if (left == 0) {
                return;
            }
        }
        throw new IllegalStateException("send queue holds " + size + " bytes, asked for " + offset + "+" + length);
    }

    /** Drops {@code n} acknowledged bytes from the front. */
    void discard(int n) {
        int left = n;
        while (left > 0) {
            ByteBuf b = buffers.peek();
            int r = b.readableBytes();
            if (r <= left) {
                buffers.poll();
                b.release();
                left -= r;
            } else {
                b.skipBytes(left);
                left = 0;
            }
        }
        size -= n;
    }

    void clear() {
        ByteBuf b;
        while ((b = buffers.poll()) != null) {
            b.release();
        }
        size = 0;
    }
}
