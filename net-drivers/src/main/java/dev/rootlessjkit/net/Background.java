package dev.rootlessjkit.net;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * Work a parent driver starts when it is made and needs only once it starts (a helper's --help probe, an event
 * loop), so that it runs while the child JVM boots.
 */
public final class Background {
    private Background() {
    }

    /**
     * Runs {@code work} on a daemon thread of its own that ends with it, so that no pool thread idles in the daemon
     * afterwards; what it throws completes the future exceptionally.
     */
    public static <T> CompletableFuture<T> compute(String threadName, Callable<T> work) {
        final CompletableFuture<T> result = new CompletableFuture<>();
        final Thread thread = new Thread(() -> {
            try {
                result.complete(work.call());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        }, threadName);
        thread.setDaemon(true);
        thread.start();
        return result;
    }
}
