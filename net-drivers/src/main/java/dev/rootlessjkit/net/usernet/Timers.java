package dev.rootlessjkit.net.usernet;

/**
 * Time for the stack's protocol timers, behind an interface so tests can move the clock instead of sleeping.
 * Used only on the stack's event loop.
 */
public interface Timers {
    long nanoTime();

    /** Runs {@code task} on the event loop after {@code delayNanos}. */
    Timeout schedule(Runnable task, long delayNanos);

    /** A scheduled task that can be withdrawn. */
    interface Timeout {
        void cancel();
    }
}
