package dev.rootlessjkit.net.usernet.stack;

import io.netty.buffer.ByteBuf;

/**
 * What IPv4's and IPv6's output share: the link, the guest's MTU, and frames with room for the headers in front of
 * the upper layer. The methods are final, so a call through either subclass binds statically, as before.
 */
public abstract sealed class IpOutput permits Ipv4Output, Ipv6Output {
    final Link link;
    private final int mtu;
    /** Where the upper layer starts in a frame: the Ethernet and IP headers' length. */
    private final int l4Offset;

    IpOutput(Link link, int mtu, int l4Offset) {
        this.link = link;
        this.mtu = mtu;
        this.l4Offset = l4Offset;
    }

    /** The largest IP packet the guest's interface takes. */
    public final int mtu() {
        return mtu;
    }

    /** A frame with its writer index where the upper layer starts, and room for {@code l4Length} more bytes. */
    public final ByteBuf allocate(int l4Length) {
        ByteBuf b = link.allocate(l4Offset + l4Length);
        b.writerIndex(l4Offset);
        return b;
    }

    /** Whether the subclass's {@code sendOffloaded} may be used. */
    public final boolean offloads() {
        return link.offloads();
    }
}
