package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Epoll;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Splice;
import dev.rootlessjkit.log.Log;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One thread on an epoll instance of its own, with the hand-over of work from other threads ({@link #execute}) and
 * the stop both of the builtin driver's loops share; what the events mean is the subclass's. Subclasses call
 * {@link #startThread} at the end of their constructor, once their own fields are set.
 */
abstract class EpollLoop {
    private static final int MAX_EVENTS = 256;

    protected final Epoll epoll;
    protected final Log log;
    /** What the loop serves, for its warning when it stops on an error: "splice relays", "UDP forwarding". */
    private final String serves;
    /** Why {@link #execute} refuses work once the loop is stopping. */
    private final String closed;
    private final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeUpPending = new AtomicBoolean();
    /** Guarded by {@code this}. */
    private boolean stopping;

    EpollLoop(Splice calls, String threadName, String serves, String closed, Log log) throws ErrnoException {
        this.epoll = Epoll.open(calls, MAX_EVENTS);
        this.log = log;
        this.serves = serves;
        this.closed = closed;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
    }

    /** Makes the {@code index}-th loop of a set; may fail as its epoll instance is made. */
    interface Maker<L extends EpollLoop> {
        L make(int index) throws ErrnoException;
    }

    /**
     * Fills {@code loops} with loops from {@code maker}, or fails leaving none running: those made before one
     * failed are stopped, waiting up to {@code stopMillis} each.
     */
    static <L extends EpollLoop> L[] makeAll(L[] loops, Maker<L> maker, long stopMillis) throws ErrnoException {
        try {
            for (int i = 0; i < loops.length; i++) {
                loops[i] = maker.make(i);
            }
        } catch (ErrnoException e) {
            stopAll(loops, stopMillis);
            throw e;
        }
        return loops;
    }

    /** Stops each loop of {@code loops} that exists, waiting up to {@code stopMillis} for each; null stops none. */
    static void stopAll(EpollLoop[] loops, long stopMillis) {
        if (loops == null) {
            return;
        }
        for (EpollLoop loop : loops) {
            if (loop != null) {
                loop.stop(stopMillis);
            }
        }
    }

    final void startThread() {
        thread.start();
    }

    /** Runs {@code task} on the loop; rejected once the loop is stopping. Any thread. */
    final void execute(Runnable task) {
        // Under the lock, which the loop holds to close the epoll instance once it is stopping, so that the
        // wake-up never writes to a closed (and perhaps reused) fd.
        synchronized (this) {
            if (stopping) {
                throw new RejectedExecutionException(closed);
            }
            tasks.add(task);
            if (wakeUpPending.compareAndSet(false, true)) {
                epoll.wakeUp();
            }
        }
    }

    /** Ends the thread, waiting up to {@code millis} for it; what runs on it is closed first ({@link #closing}). */
    final void stop(long millis) {
        synchronized (this) {
            if (!stopping) {
                stopping = true;
                epoll.wakeUp();
            }
        }
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How long the next wait may last, in milliseconds; -1 for no limit. */
    int awaitMillis() {
        return -1;
    }

    /** One event of a watched fd ({@link Epoll#WAKE_UP} never comes here). */
    abstract void onEvent(long token, int events);

    /** After the events of one wake-up, before the tasks handed over. */
    void afterEvents() {
    }

    /** After the tasks of one wake-up. */
    void afterTasks() {
    }

    /** Once nothing can be handed over any more and the tasks that were have run; before the epoll fd closes. */
    void closing() {
    }

    /** First thing on the loop's thread, before it waits for events. */
    void onThread() {
    }

    private void run() {
        onThread();
        try {
            while (true) {
                final int n = epoll.await(awaitMillis());
                for (int i = 0; i < n; i++) {
                    final long token = epoll.token(i);
                    if (token != Epoll.WAKE_UP) {
                        onEvent(token, epoll.events(i));
                    }
                }
                afterEvents();
                // Cleared before the queue is read, so that a task added after the read wakes the loop again.
                wakeUpPending.set(false);
                runTasks();
                afterTasks();
                synchronized (this) {
                    if (stopping) {
                        break;
                    }
                }
            }
        } catch (ErrnoException e) {
            log.warn("builtin port driver: " + serves + " stopped: " + e.getMessage());
            synchronized (this) {
                stopping = true;
            }
        } finally {
            // Nothing can be added any more: what was handed over still runs (closing sockets, say).
            runTasks();
            closing();
            synchronized (this) {
                epoll.close();
            }
        }
    }

    private void runTasks() {
        for (Runnable task; (task = tasks.poll()) != null;) {
            task.run();
        }
    }
}
