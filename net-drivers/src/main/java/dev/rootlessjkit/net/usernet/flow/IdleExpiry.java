package dev.rootlessjkit.net.usernet.flow;

import dev.rootlessjkit.net.usernet.Timers;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Ends flows that carried no traffic for a set time. One timer a flow, not one re-armed per packet: when it fires
 * on a flow that was active meanwhile it waits out the rest of the time from the last traffic. Loop only.
 */
public final class IdleExpiry<F extends IdleExpiry.Watched> {
    /** What a flow shows its expiry: when it last carried traffic, on the stack's clock. */
    public interface Watched {
        long lastActive();
    }

    private final Timers timers;
    private final long idleNanos;
    private final Predicate<F> current;
    private final Consumer<F> end;

    /**
     * @param current whether a flow is still the one its table holds: one ended or replaced meanwhile is let be
     * @param end     ends a flow idle for {@code idleNanos}
     */
    public IdleExpiry(Timers timers, long idleNanos, Predicate<F> current, Consumer<F> end) {
        this.timers = timers;
        this.idleNanos = idleNanos;
        this.current = current;
        this.end = end;
    }

    /** Watches a flow just opened. */
    public void watch(F flow) {
        checkAfter(flow, idleNanos);
    }

    private void checkAfter(F flow, long delay) {
        timers.schedule(() -> {
            if (!current.test(flow)) {
                return;
            }
            final long idle = timers.nanoTime() - flow.lastActive();
            if (idle >= idleNanos) {
                end.accept(flow);
            } else {
                checkAfter(flow, idleNanos - idle);
            }
        }, delay);
    }
}
