package dev.rootlessjkit.net.usernet.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;

/** The host socket's events, handed to its flow. Runs on the stack's loop like everything else. */
final class HostRelay extends ChannelInboundHandlerAdapter {
    private final TcpFlow flow;

    HostRelay(TcpFlow flow) {
        this.flow = flow;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        flow.fromHost((ByteBuf) msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flow.transmit();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            flow.hostEof();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        flow.hostClosed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // ECONNRESET and friends: the host side is gone, which channelInactive reports next.
        ctx.close();
    }
}
