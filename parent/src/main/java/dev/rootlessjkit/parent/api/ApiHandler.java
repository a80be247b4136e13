package dev.rootlessjkit.parent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.port.GoText;
import dev.rootlessjkit.port.ParentPortDriver;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
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
import java.nio.charset.StandardCharsets;
import java.util.Date;
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

    private final Supplier<Info> info;
    private final ParentPortDriver ports;
    private final ObjectMapper mapper;
    private final SpecDecoder decoder;
    private final Log log;

    ApiHandler(Supplier<Info> info, ParentPortDriver ports, ObjectMapper mapper, Log log) {
        this.info = info;
        this.ports = ports;
        this.mapper = mapper;
        this.decoder = new SpecDecoder(mapper);
        this.log = log;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (req.decoderResult().isFailure()) {
            send(ctx, req, response(HttpResponseStatus.BAD_REQUEST, TEXT, "400 Bad Request"), true);
            return;
        }
        send(ctx, req, route(req), false);
    }

    private FullHttpResponse route(FullHttpRequest req) {
        final String path = new QueryStringDecoder(req.uri()).path();
        final HttpMethod method = req.method();
        if (path.equals("/v1/info")) {
            return method.equals(HttpMethod.GET) ? info() : methodNotAllowed();
        }
        if (path.equals("/v1/ports")) {
            if (method.equals(HttpMethod.GET)) {
                return listPorts();
            }
            if (method.equals(HttpMethod.POST)) {
                return addPort(ByteBufUtil.getBytes(req.content()));
            }
            return methodNotAllowed();
        }
        if (path.startsWith(PORTS_PREFIX) && path.length() > PORTS_PREFIX.length()
                && path.indexOf('/', PORTS_PREFIX.length()) < 0) {
            return method.equals(HttpMethod.DELETE) ? removePort(path.substring(PORTS_PREFIX.length()))
                    : methodNotAllowed();
        }
        final FullHttpResponse r = response(HttpResponseStatus.NOT_FOUND, TEXT, "404 page not found\n");
        r.headers().set("X-Content-Type-Options", "nosniff");
        return r;
    }

    private FullHttpResponse info() {
        try {
            return json(HttpResponseStatus.OK, GoJson.compact(ApiJson.info(info.get())));
        } catch (RuntimeException e) {
            log.warn("api: info: " + e);
            return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, String.valueOf(e.getMessage()));
        }
    }

    private FullHttpResponse listPorts() {
        if (ports == null) {
            return noDriver();
        }
        return json(HttpResponseStatus.OK, GoJson.compact(ApiJson.statuses(ports.listPorts())));
    }

    private FullHttpResponse addPort(byte[] body) {
        if (ports == null) {
            return noDriver();
        }
        try {
            final PortSpec spec = decoder.decode(body);
            final PortStatus status = ports.addPort(spec);
            return json(HttpResponseStatus.CREATED, GoJson.compact(ApiJson.status(status)));
        } catch (PortDriverException e) {
            return error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
        }
    }

    private FullHttpResponse removePort(String idText) {
        if (ports == null) {
            return noDriver();
        }
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
        return response(status, TEXT, GoJson.compact(ApiJson.error(message)) + "\n");
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

    private static void send(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse r, boolean close) {
        if (close || !HttpUtil.isKeepAlive(req)) {
            r.headers().set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(r).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
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
