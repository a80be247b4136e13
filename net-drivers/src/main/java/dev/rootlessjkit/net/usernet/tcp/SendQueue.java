package dev.rootlessjkit.net.usernet.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import java.util.ArrayDeque;

/**
 * Bytes read from the host socket that the guest has not acknowledged yet, from SND.UNA on. The buffers Netty read
 * are kept as they are (no copy) until every byte of them is acknowledged.
 */
final class SendQueue {
    /**
     * The most buffers one segment's payload is made of without a copy: a host that sends in small pieces would
     * otherwise make a frame of hundreds of slices (and a writev beyond IOV_MAX). Beyond it the composite copies
     * its pieces into one buffer, as it does when it outgrows its component limit.
     */
    static final int MAX_PAYLOAD_PIECES = 16;

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

    /**
     * A frame of {@code header} followed by {@code length} bytes starting {@code offset} bytes after SND.UNA, without
     * copying them: slices of the queued buffers, each holding a reference of its own, so that the frame stays
     * valid whatever is acknowledged before it is written. Takes ownership of {@code header}; the caller owns the
     * result.
     */
    ByteBuf frame(ByteBuf header, int offset, int length) {
        // One more component than pieces: the header.
        CompositeByteBuf frame = header.alloc().compositeDirectBuffer(MAX_PAYLOAD_PIECES + 1);
        frame.addComponent(true, header);
        int skip = offset;
        int left = length;
        for (ByteBuf b : buffers) {
            int n = b.readableBytes();
            if (skip >= n) {
                skip -= n;
                continue;
            }
            int take = Math.min(n - skip, left);
            frame.addComponent(true, b.retainedSlice(b.readerIndex() + skip, take));
            left -= take;
            skip = 0;
            if (left == 0) {
                return frame;
            }
        }
        frame.release();
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
