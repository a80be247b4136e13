package dev.rootlessjkit.net.usernet.tcp;

import dev.rootlessjkit.net.usernet.header.Tcp;

/**
 * What the SYN exchange's options settle (RFC 9293 3.7.1 for the MSS, RFC 7323 for window scaling). Parsing is the
 * header's ({@code Segment.synMss}, {@code synWscale}) and encoding {@link TcpOutput}'s; these are the rules between.
 */
final class TcpOptions {
    /** RFC 9293's MSS when the peer sends none. */
    static final int DEFAULT_MSS = 536;
    /** A floor against a peer's absurdly small MSS, which would turn every byte into a segment. */
    static final int MIN_MSS = 64;
    /** RFC 7323's largest shift. */
    static final int MAX_WSCALE = 14;

    private TcpOptions() {
    }

    /** The MSS to send with: the peer's option (or the default), floored, and never above ours. */
    static int mss(int peerMssOption, int ourMss) {
        int peerMss = peerMssOption == Tcp.ABSENT ? DEFAULT_MSS : Math.max(MIN_MSS, peerMssOption);
        return Math.min(peerMss, ourMss);
    }

    /** The shift of the peer's window field: its option, at most 14; 0 when it offered none. */
    static int sendShift(int peerWscale) {
        return peerWscale == Tcp.ABSENT ? 0 : Math.min(peerWscale, MAX_WSCALE);
    }

    /** The smallest shift that lets a 16-bit window field say {@code receiveBuffer}. */
    static int receiveShift(int receiveBuffer) {
        int shift = 0;
        while ((receiveBuffer >> shift) > 0xffff) {
            shift++;
        }
        return shift;
    }
}
