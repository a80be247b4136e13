package dev.rootlessjkit.net.usernet.stack;

import io.netty.buffer.ByteBuf;

/** A transport protocol's input: one valid, reassembled IPv4 datagram from the guest. */
public interface TransportHandler {
    /**
     * @param packet the frame or reassembled datagram; still owned by the caller, so retain what you keep
     * @param l4Offset where the transport header starts
     * @param l4Length bytes of transport header and payload (IP padding excluded)
     * @param checksumTrusted skip the transport checksum: the guest's kernel left it undone on purpose
     */
    void receive(ByteBuf packet, int l4Offset, int l4Length, int src, int dst, boolean checksumTrusted);
}
