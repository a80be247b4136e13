package dev.rootlessjkit.parent.api;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.PacketCapture;
import dev.rootlessjkit.net.api.Pcap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.util.List;

/**
 * {@code GET /v1/capture[?port=N][&snaplen=N]}: a pcap stream (chunked, until the client closes) of the frames
 * the network driver sees. Ours, not RootlessKit's. The connection reads no further requests, and what its client
 * does not read in time is dropped at the capture, not queued: the channel's write buffer is the bound.
 */
final class CaptureStream {
    static final String PATH = "/v1/capture";
    static final String CONTENT_TYPE = "application/vnd.tcpdump.pcap";
    /** Records queued for a slow reader at most (~1 MiB); beyond it the capture drops them. */
    private static final WriteBufferWaterMark QUEUE = new WriteBufferWaterMark(512 * 1024, 1024 * 1024);

    private CaptureStream() {
    }

    /** Starts streaming on {@code channel}; or, when the request is refused, the response that says why. */
    static FullHttpResponse start(Channel channel, PacketCapture capture, QueryStringDecoder query, Log log) {
        final int port;
        final int snapLength;
        try {
            port = parameter(query, "port", 0, 0, 65535);
            snapLength = parameter(query, "snaplen", Pcap.MAX_SNAP_LENGTH, 64, Pcap.MAX_SNAP_LENGTH);
        } catch (IllegalArgumentException e) {
            return ApiHandler.error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
        }
        channel.config().setAutoRead(false);
        channel.config().setWriteBufferWaterMark(QUEUE);
        final AutoCloseable handle;
        try {
            handle = capture.start(port, snapLength, new PacketCapture.Target() {
                @Override
                public boolean ready() {
                    return channel.isWritable();
                }

                @Override
                public void write(byte[] record) {
                    channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(record)),
                            channel.voidPromise());
                }
            });
        } catch (IOException e) {
            channel.config().setAutoRead(true);
            return ApiHandler.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "cannot capture: " + e.getMessage());
        }
        final HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE);
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        // On the channel's loop, so the file header is queued before the first record the capture writes.
        channel.write(head);
        channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(Pcap.fileHeader(snapLength))));
        log.debug("api: capture started (port " + port + ", snap length " + snapLength + ")");
        channel.closeFuture().addListener(closed -> {
            handle.close();
            log.debug("api: capture ended");
        });
        return null;
    }

    private static int parameter(QueryStringDecoder query, String name, int otherwise, int min, int max) {
        final List<String> values = query.parameters().get(name);
        if (values == null || values.isEmpty()) {
            return otherwise;
        }
        final int value;
        try {
            value = Integer.parseInt(values.get(values.size() - 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad " + name + " " + values.get(values.size() - 1)
                    + ": not a number");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException("bad " + name + " " + value + ": not between " + min + " and " + max);
        }
        return value;
    }
}
