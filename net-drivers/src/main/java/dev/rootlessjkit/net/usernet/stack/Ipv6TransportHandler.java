package dev.rootlessjkit.net.usernet.stack;

import io.netty.buffer.ByteBuf;

/** An upper layer's input over IPv6: one valid packet from the guest, its extension headers already walked. */
public interface Ipv6TransportHandler {
    /**
     * @param packet the frame; still owned by the caller, so retain what you keep
     * @param ipOffset where the IPv6 header starts (for hop limit checks and for quoting in ICMPv6 errors)
     * @param l4Offset where the upper-layer header starts
     * @param l4Length bytes of upper-layer header and payload
     * @param checksumTrusted skip the transport checksum: the guest's kernel left it undone on purpose
     */
    void receive(ByteBuf packet, int ipOffset, int l4Offset, int l4Length, long srcHigh, long srcLow, long dstHigh,
            long dstLow, boolean checksumTrusted);
}
