package dev.rootlessjkit.net.usernet;

import io.netty.buffer.ByteBuf;

/**
 * Where the stack puts the Ethernet frames it sends to the guest. Called only on the stack's event loop.
 */
public interface FrameSink {
    /**
     * Takes one frame, readable bytes from Ethernet header to the end of the payload. Ownership passes to the
     * sink, which must release it.
     */
    void send(ByteBuf frame);

    /** Marks the end of a batch: frames sent before this call may be written out together. */
    void flush();
}
