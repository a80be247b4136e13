package dev.rootlessjkit.parent.api;

import dev.rootlessjkit.log.Log;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Keeps at most {@link ApiServer.Limits#maxConnections} connections open. A new connection beyond it closes the
 * oldest one that has no request being answered: a client flooding the socket with idle connections loses its
 * own oldest ones, while a real client, which sends its request at once, is served. Refusing new connections
 * instead would let whoever got there first lock everyone out until the deadline.
 *
 * <p>Shared by every connection; touched only on the server's single event-loop thread.
 */
@ChannelHandler.Sharable
final class ConnectionLimit extends ChannelInboundHandlerAdapter {
    private final int max;
    private final Log log;
    /** In the order they were accepted. */
    private final Set<Channel> open = new LinkedHashSet<>();

    ConnectionLimit(ApiServer.Limits limits, Log log) {
        this.max = limits.maxConnections();
        this.log = log;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        open.add(ctx.channel());
        if (open.size() > max) {
            evictOldestIdle(ctx.channel());
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        open.remove(ctx.channel());
        ctx.fireChannelInactive();
    }

    private void evictOldestIdle(Channel newest) {
        final Iterator<Channel> it = open.iterator();
        while (it.hasNext()) {
            final Channel candidate = it.next();
            if (!RequestDeadline.answering(candidate)) {
                it.remove();
                log.debug("api: more than " + max + " connections; closing the oldest idle one");
                candidate.close();
                return;
            }
        }
        open.remove(newest);
        newest.close();
    }
}
