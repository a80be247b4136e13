package dev.rootlessjkit.net.usernet.stack;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Work put off to the end of the current event-loop wake-up: coalesced ACKs, flushes of host sockets, the flush
 * of the frame sink. A task on the loop runs after the I/O events already being handled, so everything deferred
 * while handling a batch of frames or socket reads runs once for the batch.
 */
public final class Batch {
    /** Something with work for the end of the batch; it keeps its own flag so it is deferred at most once. */
    public interface Deferred {
        void runAtBatchEnd();
    }

    private final Executor loop;
    private final List<Deferred> deferred = new ArrayList<>();
    private final Runnable runTask = this::run;
    private boolean scheduled;

    public Batch(Executor loop) {
        this.loop = loop;
    }

    public void defer(Deferred d) {
        deferred.add(d);
        if (!scheduled) {
            scheduled = true;
            loop.execute(runTask);
        }
    }

    private void run() {
        scheduled = false;
        // Index loop: running one item may defer more (an ACK defers the sink flush), which run in this pass.
        for (int i = 0; i < deferred.size(); i++) {
            deferred.get(i).runAtBatchEnd();
        }
        deferred.clear();
    }
}
