package dev.rootlessjkit.linux;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * A new, empty network namespace for a test's traffic. The kernel keeps the namespace per thread, so the action
 * runs on a thread of its own and no other thread (nor the host) sees what it changes.
 */
final class OwnNetworkNamespace {
    private OwnNetworkNamespace() {
    }

    /** Runs {@code action} on a new thread that first moves into a new network namespace, and returns its result. */
    static <T> T call(Callable<T> action) throws Exception {
        final FutureTask<T> task = new FutureTask<>(() -> {
            Linux.load().unshareNetworkOfThisThread();
            return action.call();
        });
        final Thread t = new Thread(task, "own-netns");
        t.start();
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw new AssertionError(e.getCause());
        }
    }
}
