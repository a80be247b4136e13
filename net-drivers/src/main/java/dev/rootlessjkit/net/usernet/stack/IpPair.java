package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.flow.FlowKey;
import dev.rootlessjkit.net.usernet.header.Checksum;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import dev.rootlessjkit.net.usernet.header.Ipv6;
import io.netty.buffer.ByteBuf;

/**
 * The IP ends of one flow, the peer's (as the guest sees it) and the guest's, with the output that carries packets
 * from the peer to the guest: what lets a transport (TCP, UDP) serve IPv4 and IPv6 flows with one state machine.
 * Immutable; one per flow.
 */
public abstract sealed class IpPair permits IpPair.V4, IpPair.V6 {
    private IpPair() {
    }

    public static V4 ipv4(Ipv4Output out, int peer, int guest) {
        return new V4(out, peer, guest);
    }

    public static V6 ipv6(Ipv6Output out, long peerHigh, long peerLow, long guestHigh, long guestLow) {
        return new V6(out, peerHigh, peerLow, guestHigh, guestLow);
    }

    /** A frame with its writer index where the upper layer starts and room for {@code l4Length} more bytes. */
    public abstract ByteBuf allocate(int l4Length);

    /** The pseudo-header sum of a packet from the peer to the guest. */
    public abstract long pseudoHeader(int protocol, int l4Length);

    /** Sends a frame from {@link #allocate} from the peer to the guest. Takes ownership. */
    public abstract void send(ByteBuf frame, int protocol, boolean dontFragment);

    /** Whether {@link #sendOffloaded} may be used: the guest completes checksums and splits large TCP segments. */
    public abstract boolean offloads();

    /** As {@link Ipv4Output#sendOffloaded} and {@link Ipv6Output#sendOffloaded}. */
    public abstract void sendOffloaded(ByteBuf frame, int protocol, int checksumOffset, int gsoSize,
            int l4HeaderLength);

    /** The largest upper-layer packet (header included) that fits the guest's MTU in one IP packet. */
    public abstract int maxL4();

    /** The flow's key with these ports. */
    public abstract FlowKey key(int guestPort, int peerPort);

    /** IPv4 addresses as the stack's ints. */
    public static final class V4 extends IpPair {
        private final Ipv4Output out;
        public final int peer;
        public final int guest;

        private V4(Ipv4Output out, int peer, int guest) {
            this.out = out;
            this.peer = peer;
            this.guest = guest;
        }

        @Override
        public ByteBuf allocate(int l4Length) {
            return out.allocate(l4Length);
        }

        @Override
        public long pseudoHeader(int protocol, int l4Length) {
            return Checksum.pseudoHeader(peer, guest, protocol, l4Length);
        }

        @Override
        public void send(ByteBuf frame, int protocol, boolean dontFragment) {
            out.send(frame, protocol, peer, guest, dontFragment);
        }

        @Override
        public boolean offloads() {
            return out.offloads();
        }

        @Override
        public void sendOffloaded(ByteBuf frame, int protocol, int checksumOffset, int gsoSize, int l4HeaderLength) {
            out.sendOffloaded(frame, protocol, peer, guest, checksumOffset, gsoSize, l4HeaderLength);
        }

        @Override
        public int maxL4() {
            return out.mtu() - Ipv4.MIN_HEADER_LENGTH;
        }

        @Override
        public FlowKey key(int guestPort, int peerPort) {
            return FlowKey.ipv4(guest, guestPort, peer, peerPort);
        }
    }

    /** IPv6 addresses as two longs each. */
    public static final class V6 extends IpPair {
        private final Ipv6Output out;
        public final long peerHigh;
        public final long peerLow;
        public final long guestHigh;
        public final long guestLow;

        private V6(Ipv6Output out, long peerHigh, long peerLow, long guestHigh, long guestLow) {
            this.out = out;
            this.peerHigh = peerHigh;
            this.peerLow = peerLow;
            this.guestHigh = guestHigh;
            this.guestLow = guestLow;
        }

        @Override
        public ByteBuf allocate(int l4Length) {
            return out.allocate(l4Length);
        }

        @Override
        public long pseudoHeader(int protocol, int l4Length) {
            return Checksum.pseudoHeaderIpv6(peerHigh, peerLow, guestHigh, guestLow, protocol, l4Length);
        }

        /** IPv6 is never fragmented on the way to the guest: segments and datagrams are sized to the MTU. */
        @Override
        public void send(ByteBuf frame, int protocol, boolean dontFragment) {
            out.send(frame, protocol, Ipv6.DEFAULT_HOP_LIMIT, peerHigh, peerLow, guestHigh, guestLow);
        }

        @Override
        public boolean offloads() {
            return out.offloads();
        }

        @Override
        public void sendOffloaded(ByteBuf frame, int protocol, int checksumOffset, int gsoSize, int l4HeaderLength) {
            out.sendOffloaded(frame, protocol, peerHigh, peerLow, guestHigh, guestLow, checksumOffset, gsoSize,
                    l4HeaderLength);
        }

        @Override
        public int maxL4() {
            return out.mtu() - Ipv6.HEADER_LENGTH;
        }

        @Override
        public FlowKey key(int guestPort, int peerPort) {
            return new FlowKey(guestHigh, guestLow, guestPort, peerHigh, peerLow, peerPort);
        }
    }
}
