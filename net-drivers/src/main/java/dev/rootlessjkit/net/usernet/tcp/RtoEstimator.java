package dev.rootlessjkit.net.usernet.tcp;

/**
 * The retransmission timeout of RFC 6298 (SRTT, RTTVAR, exponential backoff), with Linux's 200 ms floor instead
 * of the RFC's 1 s: the guest is on the same machine, so round trips are tiny and losses are queue drops.
 */
final class RtoEstimator {
    static final long MIN_RTO = 200_000_000L;
    static final long MAX_RTO = 60_000_000_000L;
    static final long INITIAL_RTO = 1_000_000_000L;

    private long srtt = -1;
    private long rttvar;
    private long rto = INITIAL_RTO;
    private int backoff;

    void sample(long rttNanos) {
        if (srtt < 0) {
            srtt = rttNanos;
            rttvar = rttNanos / 2;
        } else {
            rttvar = (3 * rttvar + Math.abs(srtt - rttNanos)) / 4;
            srtt = (7 * srtt + rttNanos) / 8;
        }
        rto = Math.min(MAX_RTO, Math.max(MIN_RTO, srtt + Math.max(1_000_000L, 4 * rttvar)));
    }

    /** The current timeout including backoff. */
    long timeout() {
        return Math.min(MAX_RTO, rto << Math.min(backoff, 20));
    }

    void backOff() {
        backoff++;
    }

    void resetBackoff() {
        backoff = 0;
    }
}
