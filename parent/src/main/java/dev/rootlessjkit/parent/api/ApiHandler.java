package dev.rootlessjkit.parent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.PacketCapture;
import dev.rootlessjkit.port.GoText;
import dev.rootlessjkit.port.ParentPortDriver;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * RootlessKit's REST API v1 routes and responses: JSON successes with {@code application/json}, errors as
 * {@code {"message":...}\n} with the {@code text/plain; charset=utf-8} Go ends up sending, 404 with Go's
 * {@code 404 page not found}, 405 with an empty body for a known path and the wrong method.
 */
@ChannelHandler.Sharable
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final String PORTS_PREFIX = "/v1/ports/";
    private static final String JSON = "application/json";
    private static final String TEXT = "text/plain; charset=utf-8";
    /** The last answer queued on a connection, which the next one waits for. */
    private static final AttributeKey<CompletableFuture<Void>> LAST_ANSWER =
            AttributeKey.valueOf("rootlessjkit.api.lastAnswer");

    private final Supplier<Info> info;
    private final ParentPortDriver ports;
    private final PacketCapture capture;
    private final ObjectMapper mapper;
    private final SpecDecoder decoder;
    private final Log log;
    private final Executor driverCalls;

    /**
     * @param driverCalls where calls that wait for the port driver run: one thread, so that ports are added and
     *                    removed in the order the requests came, as RootlessKit's mutex does
     */
    ApiHandler(Supplier<Info> info, ParentPortDriver ports, PacketCapture capture, ObjectMapper mapper, Log log,
            Executor driverCalls) {
        this.info = info;
        this.ports = ports;
        this.capture = capture;
        this.mapper = mapper;
        this.decoder = new SpecDecoder(mapper);
        this.log = log;
        this.driverCalls = driverCalls;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        final boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (req.decoderResult().isFailure()) {
            answer(ctx, false, ApiHandler::goBadRequest, false);
            return;
        }
        final String path;
        try {
            path = new QueryStringDecoder(req.uri()).path();
        } catch (IllegalArgumentException e) {
            // A bad percent escape (/v1/%, /v1/ports/%zz): Go's server rejects the request line this way.
            log.debug("api: bad request URI " + req.uri() + ": " + e.getMessage());
            answer(ctx, false, ApiHandler::goBadRequest, false);
            return;
        }
        final HttpMethod method = req.method();
        if (path.equals("/v1/ports") && method.equals(HttpMethod.POST) && ports != null) {
            final byte[] body = ByteBufUtil.getBytes(req.content());
            answer(ctx, true, () -> addPort(body), keepAlive);
        } else if (isPortPath(path) && method.equals(HttpMethod.DELETE) && ports != null) {
            answer(ctx, true, () -> removePort(path.substring(PORTS_PREFIX.length())), keepAlive);
        } else if (path.equals(CaptureStream.PATH) && method.equals(HttpMethod.GET) && capture != null) {
            final FullHttpResponse refused = CaptureStream.start(ctx.channel(), capture,
                    new QueryStringDecoder(req.uri()), log);
            if (refused != null) {
                answer(ctx, false, () -> refused, keepAlive);
            }
        } else {
            answer(ctx, false, () -> route(path, method), keepAlive);
        }
    }

    /**
     * Answers with what {@code call} returns once every earlier request on this connection has been answered, so
     * a client that pipelines requests sees them done and answered in order. Calls that wait for the port driver
     * run on {@link #driverCalls}, never on the event loop. Reading stops while an answer is pending, so a client
     * cannot queue requests without bound.
     */
    private void answer(ChannelHandlerContext ctx, boolean waitsForDriver, Supplier<FullHttpResponse> call,
            boolean keepAlive) {
        final Channel channel = ctx.channel();
        final CompletableFuture<Void> previous = channel.attr(LAST_ANSWER).get();
        if (!waitsForDriver && (previous == null || previous.isDone())) {
            send(ctx, call.get(), keepAlive);
            return;
        }
        channel.config().setAutoRead(false);
        final CompletableFuture<Void> inTurn = previous == null ? CompletableFuture.completedFuture(null)
                : previous.handle((v, e) -> null);
        final CompletableFuture<FullHttpResponse> response = waitsForDriver
                ? inTurn.thenApplyAsync(v -> driverCall(call), driverCalls)
                : inTurn.thenApplyAsync(v -> call.get(), ctx.executor());
        final CompletableFuture<Void> sent = response.thenAcceptAsync(r -> send(ctx, r, keepAlive), ctx.executor());
        channel.attr(LAST_ANSWER).set(sent);
        sent.whenCompleteAsync((v, e) -> {
            if (e != null) {
                log.debug("api: " + e);
                ctx.close();
            } else if (channel.attr(LAST_ANSWER).get() == sent) {
                channel.config().setAutoRead(true);
            }
        }, ctx.executor());
    }

    private FullHttpResponse driverCall(Supplier<FullHttpResponse> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            log.warn("api: port driver: " + e);
            return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, String.valueOf(e.getMessage()));
        }
    }

    private static boolean isPortPath(String path) {
        return path.startsWith(PORTS_PREFIX) && path.length() > PORTS_PREFIX.length()
                && path.indexOf('/', PORTS_PREFIX.length()) < 0;
    }

    private FullHttpResponse route(String path, HttpMethod method) {
        if (path.equals("/v1/info")) {
            return method.equals(HttpMethod.GET) ? info() : methodNotAllowed();
        }
        if (path.equals("/v1/ports")) {
            if (method.equals(HttpMethod.GET)) {
                return listPorts();
            }
            return method.equals(HttpMethod.POST) ? noDriver() : methodNotAllowed();
        }
        if (isPortPath(path)) {
            return method.equals(HttpMethod.DELETE) ? noDriver() : methodNotAllowed();
        }
        if (path.equals(CaptureStream.PATH)) {
            return method.equals(HttpMethod.GET) ? error(HttpResponseStatus.NOT_IMPLEMENTED,
                    "packet capture needs --net=usernet: other network drivers do not pass frames through us")
                    : methodNotAllowed();
        }
        final FullHttpResponse r = response(HttpResponseStatus.NOT_FOUND, TEXT, "404 page not found\n");
        r.headers().set("X-Content-Type-Options", "nosniff");
        return r;
    }

    /** Go's net/http answer to a request it cannot parse; it closes the connection after it. */
    private static FullHttpResponse goBadRequest() {
        return response(HttpResponseStatus.BAD_REQUEST, TEXT, "400 Bad Request");
    }

    private FullHttpResponse info() {
        try {
            final Info now = info.get();
            return json(HttpResponseStatus.OK, GoJson.compact(mapper,
                    ports == null ? now : now.withPortCounters(ports.totalCounters())));
        } catch (RuntimeException e) {
            log.warn("api: info: " + e);
            return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, String.valueOf(e.getMessage()));
        }
    }

    private FullHttpResponse listPorts() {
        if (ports == null) {
            return noDriver();
        }
        return json(HttpResponseStatus.OK, GoJson.compact(mapper,
                ApiJson.listings(ports.listPorts(), ports.portCounters())));
    }

    private FullHttpResponse addPort(byte[] body) {
        try {
            final PortSpec spec = decoder.decode(body);
            final PortStatus status = ports.addPort(spec);
            return json(HttpResponseStatus.CREATED, GoJson.compact(mapper, status));
        } catch (PortDriverException e) {
            return error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
        }
    }

    private FullHttpResponse removePort(String idText) {
        final long id;
        try {
            id = GoText.atoi(idText);
        } catch (NumberFormatException e) {
            return error(HttpResponseStatus.BAD_REQUEST, "bad id " + idText + ": " + e.getMessage());
        }
        try {
            if (id > Integer.MAX_VALUE || id < Integer.MIN_VALUE) {
                throw new dev.rootlessjkit.port.UnknownPortException(id);
            }
            ports.removePort((int) id);
            return response(HttpResponseStatus.OK, null, "");
        } catch (PortDriverException e) {
            return error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
        }
    }

    private static FullHttpResponse noDriver() {
        return error(HttpResponseStatus.BAD_REQUEST, "no PortDriver is available");
    }

    private static FullHttpResponse methodNotAllowed() {
        return response(HttpResponseStatus.METHOD_NOT_ALLOWED, null, "");
    }

    private static FullHttpResponse json(HttpResponseStatus status, String body) {
        return response(status, JSON, body);
    }

    static FullHttpResponse error(HttpResponseStatus status, String message) {
        return response(status, TEXT, ApiJson.error(message) + "\n");
    }

    static FullHttpResponse response(HttpResponseStatus status, String contentType, String body) {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        final FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(bytes));
        if (contentType != null) {
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        r.headers().set(HttpHeaderNames.DATE, DateFormatter.format(new Date()));
        return r;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(r);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("api: " + cause);
        ctx.close();
    }
}
