package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.net.Background;
import dev.rootlessjkit.net.api.CountedPort;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

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

    /**
     * Makes the event loop a stack will run on, on a thread of its own that ends with it: Netty's epoll classes and
     * native library take a cold JVM ~200 ms, which the parent can spend while the child JVM boots, before the TAP
     * device exists. Whoever does not hand the loop to {@link #start} shuts it down.
     */
    public static CompletableFuture<EpollEventLoopGroup> prepareLoop() {
        return Background.compute("usernet-prepare", UsernetNetwork::newLoop);
    }

    private static EpollEventLoopGroup newLoop() throws UsernetException {
        if (!Epoll.isAvailable()) {
            // Also what loads Netty's native library, which the TAP device's writev needs before any loop exists.
            throw new UsernetException("Netty's epoll transport is unavailable", Epoll.unavailabilityCause());
        }
        return new EpollEventLoopGroup(1, new DefaultThreadFactory("usernet", true));
    }

    /**
     * Starts the stack on the TAP device behind {@code tapFd} (opened IFF_TAP | IFF_NO_PI, blocking), on
     * {@code group} (from {@link #prepareLoop}); takes over the fd and the loop.
     *
     * @param vnetHdr the fd was opened with IFF_VNET_HDR and its offloads (checksum, TSO4) were set
     */
    public static UsernetNetwork start(UsernetConfig config, int tapFd, boolean vnetHdr, Consumer<String> warnings,
            EpollEventLoopGroup group) throws UsernetException {
        final FileDescriptor fd = new FileDescriptor(tapFd);
        return start(config, new TapDevice(fd, fd, config.mtu(), vnetHdr, ByteBufAllocator.DEFAULT, warnings), group);
    }

    /** Like {@link #start(UsernetConfig, int, boolean, Consumer, EpollEventLoopGroup)}, on a loop of its own. */
    public static UsernetNetwork start(UsernetConfig config, int tapFd, boolean vnetHdr, Consumer<String> warnings)
            throws UsernetException {
        return start(config, tapFd, vnetHdr, warnings, newLoop());
    }

    static UsernetNetwork start(UsernetConfig config, TapDevice tap) throws UsernetException {
        return start(config, tap, newLoop());
    }

    private static UsernetNetwork start(UsernetConfig config, TapDevice tap, EpollEventLoopGroup group)
            throws UsernetException {
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

    /**
     * Publishes the host socket behind {@code listenFd} (listening, non-blocking; its backlog is served now) to
     * {@code guestIp:guestPort} (0: the guest's own address) over TCP, see {@link UsernetStack#publishTcp}. Takes
     * ownership of the fd. The returned handle carries the port's counters; its close stops listening and resets the port's
     * connections before it returns.
     */
    public CountedPort publishTcp(int listenFd, int guestIp, int guestPort) throws UsernetException {
        return publish(() -> stack.publishTcp(listenFd, guestIp, guestPort), "TCP listener", listenFd);
    }

    /** As {@link #publishTcp} for a bound UDP socket, whose queued datagrams are passed on now. */
    public CountedPort publishUdp(int fd, int guestIp, int guestPort) throws UsernetException {
        return publish(() -> stack.publishUdp(fd, guestIp, guestPort), "UDP socket", fd);
    }

    /**
     * As {@link #publishTcp} into the guest's IPv6 address {@code guestIp} (null: fd00::100), see {@link
     * UsernetStack#publishTcp6(int, Ipv6Address, int)}.
     */
    public CountedPort publishTcp6(int listenFd, Ipv6Address guestIp, int guestPort) throws UsernetException {
        return publish(() -> stack.publishTcp6(listenFd, guestIp, guestPort), "TCP listener", listenFd);
    }

    /** As {@link #publishTcp6} for a bound UDP socket. */
    public CountedPort publishUdp6(int fd, Ipv6Address guestIp, int guestPort) throws UsernetException {
        return publish(() -> stack.publishUdp6(fd, guestIp, guestPort), "UDP socket", fd);
    }

    /**
     * Publishes the {@code socket} behind {@code fd} on the stack's loop; the handle has the port's counters, and a
     * close that runs on the loop.
     */
    private CountedPort publish(Callable<PublishedPort> publish, String socket, int fd) throws UsernetException {
        final PublishedPort port = onLoop(publish, "cannot serve the " + socket + " on fd " + fd);
        final InetSocketAddress address = port.localAddress();
        return new CountedPort(port.traffic(), () -> onLoop(() -> {
            port.close();
            return null;
        }, "cannot close the published port " + address));
    }

    private <T> T onLoop(Callable<T> task, String what) throws UsernetException {
        try {
            return stack.loop().submit(task).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new UsernetException(what, e.getCause());
        } catch (TimeoutException e) {
            throw new UsernetException(what + ": the usernet loop did not answer in time", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UsernetException(what, e);
        }
    }

    /** The frames to and from the guest, for {@code rootlessjctl capture}. */
    public FrameCapture capture() {
        return stack.capture();
    }

    /** The stack's and the TAP device's non-zero counters, read on the stack's loop. */
    public Map<Counter, Long> counters() throws UsernetException {
        try {
            return stack.loop().submit(() -> {
                Map<Counter, Long> m = stack.counterSnapshot();
                putNonZero(m, Counter.TAP_READER_DROPS, tap.readerDrops());
                putNonZero(m, Counter.TAP_WRITE_ERRORS, tap.writeErrors());
                return m;
            }).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new UsernetException("cannot read the usernet counters", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UsernetException("interrupted while reading the usernet counters", e);
        }
    }

    private static void putNonZero(Map<Counter, Long> m, Counter c, long value) {
        if (value != 0) {
            m.put(c, value);
        }
    }

    /** Resets every connection, closes the host sockets and the TAP fd, and stops the loop. */
    @Override
    public void close() {
        tap.close();
        try {
            stack.loop().submit(() -> {
                stack.close();
                tap.releaseWriteBuffers();
            }).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // The loop is stuck or gone; shutting it down below is all that is left to do.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
