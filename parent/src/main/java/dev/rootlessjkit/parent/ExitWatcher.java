package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.WaitStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Waits for one process of ours in a thread of its own, so the main thread can wait for messages and for the
 * exit at the same time. Only this PID is waited for: the helpers the parent runs (newuidmap, slirp4netns, ...)
 * are each reaped by whoever started them.
 */
final class ExitWatcher {
    private final CompletableFuture<WaitStatus> exit = new CompletableFuture<>();

    ExitWatcher(Linux linux, int pid) {
        final Thread thread = new Thread(() -> {
            try {
                final Linux.Reaped reaped = linux.waitpid(pid, 0);
                if (reaped == null) {
                    exit.completeExceptionally(new IllegalStateException("process " + pid + " is not our child"));
                } else {
                    exit.complete(reaped.status());
                }
            } catch (ErrnoException e) {
                exit.completeExceptionally(e);
            }
        }, "rootlessjkit-wait-" + pid);
        thread.setDaemon(true);
        thread.start();
    }

    boolean exited() {
        return exit.isDone();
    }

    WaitStatus await() throws ParentException {
        try {
            return exit.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ParentException("interrupted while waiting for the child", e);
        } catch (ExecutionException e) {
            throw new ParentException("cannot wait for the child: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
