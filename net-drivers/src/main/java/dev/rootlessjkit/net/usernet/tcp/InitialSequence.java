package dev.rootlessjkit.net.usernet.tcp;

import dev.rootlessjkit.net.usernet.flow.FlowKey;
import java.util.SplittableRandom;

/**
 * Initial sequence numbers as RFC 6528 chooses them: a clock (one tick per 64 ns, like Linux) plus a keyed hash of
 * the connection's addresses and ports. A new connection on the same addresses and ports as one the guest still
 * holds in TIME-WAIT then starts beyond it, and the guest's kernel accepts its SYN at once; a random ISN would land
 * behind it half of the time, and the guest answers such a SYN with an ACK of the old connection, which costs a RST
 * and a one-second retransmission (the stalls seen on published ports, whose clients all appear as the gateway).
 */
final class InitialSequence {
    private final long secret;

    InitialSequence(SplittableRandom random) {
        this.secret = random.nextLong();
    }

    /** The ISN of a connection the stack opens to the guest, on the flow of {@code key} (IPv4 or IPv6). */
    int next(FlowKey key) {
        long addresses = mix(key.peerHigh() ^ secret) ^ key.peerLow() ^ Long.rotateLeft(key.guestHigh(), 17)
                ^ Long.rotateLeft(key.guestLow(), 41);
        long tuple = addresses ^ Long.rotateLeft(((long) key.peerPort() << 16 | key.guestPort())
                * 0x9e3779b97f4a7c15L, 29);
        return (int) (System.nanoTime() >>> 6) + (int) mix(tuple ^ secret);
    }

    /** MurmurHash3's 64-bit finalizer: every input bit flips about half of the output bits. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
