package dev.rootlessjkit.net.usernet;

import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;

/** {@link Timers} on the real clock, scheduling on the stack's event loop. */
public final class EventLoopTimers implements Timers {
    private final EventLoop loop;

    public EventLoopTimers(EventLoop loop) {
        this.loop = loop;
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Timeout schedule(Runnable task, long delayNanos) {
        var future = loop.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }
}
