package dev.rootlessjkit.net.usernet;

import java.util.SplittableRandom;
import java.util.function.IntPredicate;

/**
 * Source ports for connections the stack opens to the guest on behalf of a published port's client: the client's
 * own port when it is free (what the guest would see without NAT), else a random free one of Linux's default
 * ip_local_port_range.
 */
public final class SourcePorts {
    private static final int EPHEMERAL_FIRST = 32768;
    private static final int EPHEMERAL_COUNT = 61000 - EPHEMERAL_FIRST;

    private SourcePorts() {
    }

    /** A port for which {@code taken} is false, or -1 when none was found. */
    public static int pick(int preferred, IntPredicate taken, SplittableRandom random) {
        int port = preferred;
        for (int tries = 0; taken.test(port); tries++) {
            if (tries == EPHEMERAL_COUNT) {
                return -1;
            }
            port = EPHEMERAL_FIRST + random.nextInt(EPHEMERAL_COUNT);
        }
        return port;
    }
}
