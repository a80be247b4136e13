package dev.rootlessjkit.net.usernet;

import java.util.PriorityQueue;

/** Timers on a clock the test moves; used on the stack's loop only. */
final class ManualTimers implements Timers {
    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private long now = 1_000_000_000L;
    private long sequence;

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public Timeout schedule(Runnable task, long delayNanos) {
        Task t = new Task(now + Math.max(0, delayNanos), sequence++, task);
        queue.add(t);
        return () -> t.cancelled = true;
    }

    /** Moves the clock, running every task that falls due on the way, in deadline order. */
    void advance(long nanos) {
        long target = now + nanos;
        while (!queue.isEmpty() && queue.peek().deadline <= target) {
            Task t = queue.poll();
            now = Math.max(now, t.deadline);
            if (!t.cancelled) {
                t.task.run();
            }
        }
        now = target;
    }

    private static final class Task implements Comparable<Task> {
        final long deadline;
        final long seq;
        final Runnable task;
        boolean cancelled;

        Task(long deadline, long seq, Runnable task) {
            this.deadline = deadline;
            this.seq = seq;
            this.task = task;
        }

        @Override
        public int compareTo(Task o) {
            int c = Long.compare(deadline, o.deadline);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }
}
