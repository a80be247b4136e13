package dev.rootlessjkit.net.usernet;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The running user-mode network of one child: its own event-loop thread, the stack, and the TAP device the child
 * passed us. This is what the parent's usernet driver starts and stops.
 */
public final class UsernetNetwork implements AutoCloseable {
    private final EpollEventLoopGroup group;
    private final UsernetStack stack;
    private final TapDevice tap;

    private UsernetNetwork(EpollEventLoopGroup group, UsernetStack stack, TapDevice tap) {
        this.group = group;
        this.stack = stack;
        this.tap = tap;
    }

    /** Starts the stack on the TAP device behind {@code tapFd} (opened IFF_TAP | IFF_NO_PI); takes over the fd. */
    public static UsernetNetwork start(UsernetConfig config, int tapFd) throws UsernetException {
        FileDescriptor fd = new FileDescriptor(tapFd);
        return start(config, new TapDevice(fd, fd, config.mtu(), ByteBufAllocator.DEFAULT));
    }

    static UsernetNetwork start(UsernetConfig config, TapDevice tap) throws UsernetException {
        EpollEventLoopGroup group = new EpollEventLoopGroup(1, new DefaultThreadFactory("usernet", true));
        EventLoop loop = group.next();
        try {
            UsernetStack stack = loop.submit(() -> UsernetStack.create(config, loop, tap)).get(10, TimeUnit.SECONDS);
            tap.start(stack, loop);
            return new UsernetNetwork(group, stack, tap);
        } catch (ExecutionException | TimeoutException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new UsernetException("cannot start the usernet stack", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new UsernetException("interrupted while starting the usernet stack", e);
        }
    }

    /** The stack's non-zero counters, read on its loop. */
    public Map<Counter, Long> counters() throws UsernetException {
        try {
            return stack.loop().submit(stack::counterSnapshot).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new UsernetException("cannot read the usernet counters", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UsernetException("interrupted while reading the usernet counters", e);
        }
    }

    /** Resets every connection, closes the host sockets and the TAP fd, and stops the loop. */
    @Override
    public void close() {
        tap.close();
        try {
            stack.loop().submit(stack::close).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // The loop is stuck or gone; shutting it down below is all that is left to do.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
