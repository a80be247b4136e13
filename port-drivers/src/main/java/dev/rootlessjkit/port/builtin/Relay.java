package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.net.api.TcpPortTraffic;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;

/**
 * Copies what one TCP channel reads to its peer (both on the same event loop), with back-pressure (stop reading
 * while the peer's outbound buffer is over its high-water mark) and TCP half-close: end of input on one side
 * becomes shutdown(SHUT_WR) on the other once every byte before it is written. Both close when both directions
 * are finished, or at once on an error or reset. The fallback of {@link SpliceRelay}, which carries connections
 * without copying them into the JVM: used when a connection's pipes would exceed the fds set aside for them, or
 * when the kernel refuses the pipes or the splice.
 */
final class Relay extends ChannelInboundHandlerAdapter {
    private final DuplexChannel peer;
    private final TcpPortTraffic traffic;
    private final boolean toChild;

    /**
     * @param traffic the port's counters, where what this channel reads is counted
     * @param toChild whether this channel is the client's (its bytes go into the namespace)
     */
    Relay(DuplexChannel peer, TcpPortTraffic traffic, boolean toChild) {
        this.peer = peer;
        this.traffic = traffic;
        this.toChild = toChild;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        final int bytes = ((ByteBuf) msg).readableBytes();
        if (toChild) {
            traffic.toChild(bytes);
        } else {
            traffic.fromChild(bytes);
        }
        peer.write(msg, peer.voidPromise());
        // Checked per read, not per batch, so a batch of several reads cannot pile up beyond the high-water mark;
        // the batch still ends with channelReadComplete, which flushes.
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            peer.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            final DuplexChannel self = (DuplexChannel) ctx.channel();
            // The empty write completes after every earlier write, so nothing is cut off by the shutdown.
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) written -> {
                if (!written.isSuccess()) {
                    closeBoth(self);
                    return;
                }
                peer.shutdownOutput().addListener((ChannelFutureListener) shut -> {
                    if (!shut.isSuccess() || self.isOutputShutdown() && peer.isInputShutdown()) {
                        closeBoth(self);
                    }
                });
            });
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        peer.close();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        closeBoth(ctx.channel());
    }

    private void closeBoth(Channel self) {
        self.close();
        peer.close();
    }
}
