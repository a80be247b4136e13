package dev.rootlessjkit.net.usernet;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.rootlessjkit.net.usernet.icmp.EchoSockets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/** A stack on a real epoll loop with a recording sink and a manual clock; test code drives it from outside. */
final class StackHarness implements AutoCloseable {
    final EventLoop loop;
    final ManualTimers timers = new ManualTimers();
    final BlockingQueue<Parsed> out = new LinkedBlockingQueue<>();
    final UsernetStack stack;

    /** A harness whose ping sockets never open: no test may send ICMP to a host outside this machine. */
    StackHarness(EventLoop loop, UsernetConfig config) {
        this(loop, config, () -> {
            throw new IOException("ping sockets are off in this test");
        });
    }

    StackHarness(EventLoop loop, UsernetConfig config, EchoSockets echoSockets) {
        this(loop, config, echoSockets, HostSockets.EPOLL);
    }

    StackHarness(EventLoop loop, UsernetConfig config, EchoSockets echoSockets, HostSockets hostSockets) {
        this.loop = loop;
        FrameSink sink = new FrameSink() {
            @Override
            public void send(ByteBuf frame) {
                out.add(new Parsed(ByteBufUtil.getBytes(frame)));
                frame.release();
            }

            @Override
            public boolean offloads() {
                return false;
            }

            @Override
            public void sendOffloaded(ByteBuf frame, int l4Offset, int checksumOffset, int gsoSize,
                    int headerLength) {
                throw new AssertionError("offloads are off");
            }

            @Override
            public void flush() {
            }
        };
        this.stack = onLoop(() -> UsernetStack.create(config, loop, sink, timers, ByteBufAllocator.DEFAULT,
                echoSockets, hostSockets));
    }

    <T> T onLoop(Callable<T> c) {
        try {
            return loop.submit(c).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("task on the stack's loop failed", e);
        }
    }

    void run(Runnable r) {
        onLoop(() -> {
            r.run();
            return null;
        });
        // The end-of-batch task was queued behind r; this waits for it.
        onLoop(() -> null);
    }

    void send(byte[] frame) {
        run(() -> {
            ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(frame.length);
            b.writeBytes(frame);
            stack.receive(b);
        });
    }

    void advance(Duration d) {
        run(() -> timers.advance(d.toNanos()));
    }

    Parsed next() {
        return next(5000);
    }

    Parsed next(long millis) {
        try {
            Parsed p = out.poll(millis, TimeUnit.MILLISECONDS);
            assertNotNull(p, "expected a frame from the stack");
            return p;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The next frame that matches, skipping others. */
    Parsed next(Predicate<Parsed> p) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < end) {
            Parsed f = next(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
            if (p.test(f)) {
                return f;
            }
        }
        throw new AssertionError("no matching frame");
    }

    void expectNothing(long millis) {
        try {
            assertNull(out.poll(millis, TimeUnit.MILLISECONDS), "expected no frame");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    long counter(Counter c) {
        return onLoop(() -> stack.counters().get(c));
    }

    @Override
    public void close() {
        run(stack::close);
        out.clear();
    }
}
