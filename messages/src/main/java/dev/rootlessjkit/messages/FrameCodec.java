package dev.rootlessjkit.messages;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Frames as RootlessKit writes them: a little-endian uint32 length, then that many bytes of JSON.
 * One frame is at most 64 KiB, so a corrupt length can never make a reader allocate without bound.
 */
public final class FrameCodec {
    public static final int MAX_FRAME = 1 << 16;

    public void write(OutputStream out, Message message) throws IOException {
        final byte[] body = MessageJson.write(message).getBytes(StandardCharsets.UTF_8);
        if (body.length == 0 || body.length > MAX_FRAME) {
            throw new FrameException("message " + message.getClass().getSimpleName() + " is " + body.length
                    + " bytes, more than the " + MAX_FRAME + " a frame may hold");
        }
        final byte[] frame = new byte[4 + body.length];
        frame[0] = (byte) body.length;
        frame[1] = (byte) (body.length >>> 8);
        frame[2] = (byte) (body.length >>> 16);
        frame[3] = (byte) (body.length >>> 24);
        System.arraycopy(body, 0, frame, 4, body.length);
        // One write per frame: a pipe write of up to PIPE_BUF is atomic, and a larger one is never interleaved
        // here because each direction has exactly one writer.
        out.write(frame);
        out.flush();
    }

    /**
     * Reads one frame.
     *
     * @throws EOFException  when the stream ends before the first byte of a frame (the other side is gone)
     * @throws FrameException when the frame is truncated, too large, empty or not a message
     */
    public Message read(InputStream in) throws IOException {
        final byte[] header = new byte[4];
        final int first = readFully(in, header);
        if (first == 0) {
            throw new EOFException("end of stream");
        }
        if (first < 4) {
            throw new FrameException("truncated frame header: read " + first + " bytes, expected 4");
        }
        final long length = (header[0] & 0xffL) | (header[1] & 0xffL) << 8 | (header[2] & 0xffL) << 16
                | (header[3] & 0xffL) << 24;
        if (length == 0 || length > MAX_FRAME) {
            throw new FrameException("bad message length: " + length + " (max: " + MAX_FRAME + ")");
        }
        final byte[] body = new byte[(int) length];
        final int got = readFully(in, body);
        if (got < body.length) {
            throw new FrameException("truncated frame: read " + got + " bytes, expected " + length);
        }
        final String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new FrameException("malformed message: not UTF-8");
        }
        return MessageJson.read(json);
    }

    private static int readFully(InputStream in, byte[] buf) throws IOException {
        int off = 0;
        while (off < buf.length) {
            final int n = in.read(buf, off, buf.length - off);
            if (n < 0) {
                break;
            }
            off += n;
        }
        return off;
    }
}
