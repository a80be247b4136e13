package dev.rootlessjkit.net.usernet.tcp;

import dev.rootlessjkit.net.usernet.Timers;

/**
 * A flow's retransmission timer (RFC 6298): one round-trip measurement at a time feeding the {@link RtoEstimator},
 * the deadline by which the guest must have acknowledged what is outstanding, backoff and the count of retries.
 * What a timeout does (send again, probe a zero window, give up) is the flow's; this calls it back.
 *
 * <p>The deadline moves on every ACK, so it is a field the scheduled task checks rather than a task per ACK: a task
 * that fires early waits on for the rest; only a deadline earlier than the task needs a new one.
 */
final class RetransmitTimer {
    private final Timers timers;
    private final Runnable onTimeout;
    private final RtoEstimator rto = new RtoEstimator();
    private Timers.Timeout task;
    private long taskAt;
    /** When the timer expires, or 0 when it is stopped. */
    private long deadline;
    private int retries;
    private boolean rttActive;
    private int rttSeq;
    private long rttStart;

    RetransmitTimer(Timers timers, Runnable onTimeout) {
        this.timers = timers;
        this.onTimeout = onTimeout;
    }

    // ---- round-trip time ----

    /** Starts timing the segment that begins at {@code seq}. */
    void startRtt(int seq) {
        rttActive = true;
        rttSeq = seq;
        rttStart = timers.nanoTime();
    }

    /** Starts timing {@code seq} unless a measurement runs already. */
    void startRttIfIdle(int seq) {
        if (!rttActive) {
            startRtt(seq);
        }
    }

    /** Drops the running measurement: a retransmitted segment's ACK says nothing about the round trip (Karn). */
    void cancelRtt() {
        rttActive = false;
    }

    /** Ends the running measurement, if any, with a sample: our SYN was acknowledged. */
    void sampleRtt() {
        if (rttActive) {
            rto.sample(timers.nanoTime() - rttStart);
            rttActive = false;
        }
    }

    /** Ends the running measurement with a sample if {@code ack} covers the timed segment. */
    void sampleRtt(int ack) {
        if (rttActive && SeqNum.greaterThan(ack, rttSeq)) {
            rto.sample(timers.nanoTime() - rttStart);
            rttActive = false;
        }
    }

    // ---- retries ----

    /** New data was acknowledged: backoff and retries start over. */
    void progress() {
        rto.resetBackoff();
        retries = 0;
    }

    /** Counts a retry; true when there were more than {@code max}. */
    boolean retriesExhausted(int max) {
        return ++retries > max;
    }

    void backOff() {
        rto.backOff();
    }

    // ---- the deadline ----

    /** Starts the timer unless it runs. */
    void ensure() {
        if (deadline == 0) {
            restart();
        }
    }

    /** Sets the deadline one timeout from now. */
    void restart() {
        long delay = rto.timeout();
        deadline = timers.nanoTime() + delay;
        if (deadline == 0) {
            deadline = 1;
        }
        // A task already due by then finds the deadline and waits on; an earlier deadline needs its own task.
        if (task == null || deadline - taskAt < 0) {
            if (task != null) {
                task.cancel();
            }
            schedule(delay);
        }
    }

    /** Stops the timer. The scheduled task stays and finds no deadline: cheaper than cancelling it per ACK. */
    void stop() {
        deadline = 0;
    }

    private void schedule(long delay) {
        taskAt = timers.nanoTime() + delay;
        task = timers.schedule(this::fire, delay);
    }

    private void fire() {
        task = null;
        if (deadline == 0) {
            return;
        }
        long left = deadline - timers.nanoTime();
        if (left > 0) {
            schedule(left);
            return;
        }
        deadline = 0;
        onTimeout.run();
    }
}
