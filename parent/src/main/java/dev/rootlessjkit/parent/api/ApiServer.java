package dev.rootlessjkit.parent.api;

import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.PacketCapture;
import dev.rootlessjkit.port.ParentPortDriver;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The REST API v1 on {@code $STATE/api.sock}, one event-loop thread. The socket is created mode 0600 before it
 * listens, so there is no moment at which another user could connect; a stale socket file is replaced.
 *
 * <p>Clients cannot hold the server: a connection must deliver each request within {@link Limits#requestDeadline}
 * (slowloris, idle keep-alive), the oldest idle connections are closed beyond {@link Limits#maxConnections}
 * (held-open connections would otherwise use up the parent's fds), and port additions and removals, which wait
 * for the driver, run on their own thread so that a slow driver never stalls the event loop.
 */
public final class ApiServer implements AutoCloseable {
    /** Bodies are a few hundred bytes; anything near this is not a port spec. */
    static final int MAX_BODY = 1 << 20;
    /**
     * The kernel's own cap (net.core.somaxconn, 4096 since Linux 5.4): a burst of non-blocking connects from a
     * script starting many containers at once must not get EAGAIN while the event loop catches up.
     */
    static final int BACKLOG = 4096;

    /**
     * How much a client may hold. Docker, nerdctl and rootlessctl open a handful of short connections; 128 is
     * far above that and a small part of the parent's fds. A minute is far longer than any real client takes
     * to send a request of a few hundred bytes, and shorter than Go's default idle keep-alive (90 s), whose
     * transport retries on a fresh connection when the server closed an idle one.
     */
    record Limits(int maxConnections, Duration requestDeadline) {
        static final Limits DEFAULT = new Limits(128, Duration.ofSeconds(60));
    }

    /** Where the socket file is now: it moves once, when the server is published under its final name. */
    private final AtomicReference<Path> socket;
    private final EventLoopGroup group;
    private final Channel channel;
    private final ExecutorService driverCalls;

    private ApiServer(Path socket, EventLoopGroup group, Channel channel, ExecutorService driverCalls) {
        this.socket = new AtomicReference<>(socket);
        this.group = group;
        this.channel = channel;
        this.driverCalls = driverCalls;
    }

    /**
     * Starts serving.
     *
     * @param info       called per {@code GET /v1/info}, so it may report values that change (child PID, network)
     * @param portDriver null when there is none: the ports endpoints then answer 400 "no PortDriver is available"
     * @throws IOException when the socket cannot be created
     */
    public static ApiServer start(Path socket, Supplier<Info> info, ParentPortDriver portDriver, Log log)
            throws IOException {
        return start(socket, info, portDriver, null, log, Limits.DEFAULT);
    }

    /** As above; {@code capture} (null when the network driver has none) serves {@code GET /v1/capture}. */
    public static ApiServer start(Path socket, Supplier<Info> info, ParentPortDriver portDriver,
            PacketCapture capture, Log log) throws IOException {
        return start(socket, info, portDriver, capture, log, Limits.DEFAULT);
    }

    static ApiServer start(Path socket, Supplier<Info> info, ParentPortDriver portDriver, Log log, Limits limits)
            throws IOException {
        return start(socket, info, portDriver, null, log, limits);
    }

    static ApiServer start(Path socket, Supplier<Info> info, ParentPortDriver portDriver, PacketCapture capture,
            Log log, Limits limits) throws IOException {
        return serve(socket, listen(socket), info, portDriver, capture, log, limits);
    }

    /**
     * The API's listening socket at {@code socket}, mode 0600, non-blocking, for {@link #serve}: clients that
     * connect before it serves wait in the backlog.
     */
    public static int listen(Path socket) throws IOException {
        try {
            return Sockets.load().listenUnix(socket, Sockets.Type.STREAM, true, 0600, BACKLOG);
        } catch (SocketCallException e) {
            throw new IOException("cannot serve the API: " + e.getMessage(), e);
        }
    }

    /** Serves on {@code fd}, a socket from {@link #listen} at {@code socket}, which it then owns. */
    public static ApiServer serve(Path socket, int fd, Supplier<Info> info, ParentPortDriver portDriver,
            PacketCapture capture, Log log) throws IOException {
        return serve(socket, fd, info, portDriver, capture, log, Limits.DEFAULT);
    }

    private static ApiServer serve(Path socket, int fd, Supplier<Info> info, ParentPortDriver portDriver,
            PacketCapture capture, Log log, Limits limits) throws IOException {
        final EventLoopGroup group = new EpollEventLoopGroup(1, new DefaultThreadFactory("api", true));
        final ExecutorService driverCalls = Executors.newSingleThreadExecutor(new DefaultThreadFactory("api-ports", true));
        final ApiHandler handler = new ApiHandler(info, portDriver, capture, ApiJson.MAPPER, log, driverCalls);
        final ConnectionLimit connections = new ConnectionLimit(limits, log);
        final ChannelFuture registered = new ServerBootstrap()
                .group(group)
                .channelFactory(() -> new EpollServerDomainSocketChannel(fd, true))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(connections, new HttpServerCodec(), new BodyLimit(),
                                new RequestDeadline(limits.requestDeadline()), handler);
                    }
                })
                .register()
                .awaitUninterruptibly();
        if (!registered.isSuccess()) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            driverCalls.shutdownNow();
            throw new IOException("cannot serve the API on " + socket + ": " + registered.cause(),
                    registered.cause());
        }
        return new ApiServer(socket, group, registered.channel(), driverCalls);
    }

    /** Answers an oversized body with the API's error shape (and closes: the rest of the body is not read). */
    private static final class BodyLimit extends HttpObjectAggregator {
        BodyLimit() {
            super(MAX_BODY);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            ctx.writeAndFlush(ApiHandler.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "request body larger than " + MAX_BODY + " bytes"))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    public Path socket() {
        return socket.get();
    }

    /**
     * Renames the socket file to {@code name}. A server started early (its Netty start-up overlapping other
     * work) under a temporary name appears under its real name only once it can answer every request in full,
     * so a client that waits for the file never sees a half-ready API.
     */
    public void publishAs(Path name) throws IOException {
        Files.move(socket.get(), name, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        socket.set(name);
    }

    /** Stops serving and removes the socket file. */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        driverCalls.shutdownNow();
        try {
            Files.deleteIfExists(socket.get());
        } catch (IOException e) {
            // The state directory is removed (or reused, replacing the file) anyway.
        }
    }
}
