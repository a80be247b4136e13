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

    /**
     * Whether {@link #sendOffloaded} may be used: the guest's kernel completes transport checksums and splits TCP
     * segments larger than the MTU, as a TAP device with IFF_VNET_HDR does.
     */
    boolean offloads();

    /**
     * As {@link #send}, for a frame whose transport checksum field holds only the pseudo-header sum; IPv4 or IPv6, as
     * its Ethernet type says.
     *
     * @param l4Offset where the transport header starts in the frame
     * @param checksumOffset where the checksum field is in the transport header
     * @param gsoSize for a TCP segment larger than the guest's MSS, the MSS to split it at; 0 otherwise
     * @param headerLength the bytes of all headers in front of the payload
     */
    void sendOffloaded(ByteBuf frame, int l4Offset, int checksumOffset, int gsoSize, int headerLength);

    /** Marks the end of a batch: frames sent before this call may be written out together. */
    void flush();
}
