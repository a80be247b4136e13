package dev.rootlessjkit.parent.api;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.util.AttributeKey;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that has not delivered a whole request within the deadline of its opening or of its last
 * answer. An idle timeout that restarts on every byte would not do: a slowloris client sends one byte at a time.
 * While a request is being answered (a driver call may take long) no deadline runs.
 */
final class RequestDeadline extends ChannelDuplexHandler {
    private static final AttributeKey<Integer> ANSWERING = AttributeKey.valueOf("rootlessjkit.api.answering");

    private final long nanos;
    private ScheduledFuture<?> timer;
    private int answering;

    RequestDeadline(Duration deadline) {
        this.nanos = deadline.toNanos();
    }

    /** Whether {@code channel} has a request read and not yet answered. */
    static boolean answering(Channel channel) {
        final Integer n = channel.attr(ANSWERING).get();
        return n != null && n > 0;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest) {
            cancel();
            setAnswering(ctx, answering + 1);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof FullHttpResponse && answering > 0) {
            setAnswering(ctx, answering - 1);
            if (answering == 0) {
                arm(ctx);
            }
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    private void setAnswering(ChannelHandlerContext ctx, int n) {
        answering = n;
        ctx.channel().attr(ANSWERING).set(n);
    }

    private void arm(ChannelHandlerContext ctx) {
        cancel();
        timer = ctx.executor().schedule(() -> {
            if (answering == 0) {
                ctx.close();
            }
        }, nanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
