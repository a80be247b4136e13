package dev.rootlessjkit.messages;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One end of the parent/child handshake: frames out on one pipe, frames in from the other. A daemon thread
 * reads ahead so that every wait has a deadline and so that the end of the peer is noticed even while nobody
 * waits for a message.
 */
public final class MessageChannel {
    private final FrameCodec codec;
    private final InputStream in;
    private final OutputStream out;
    private final String peer;
    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final Thread reader;

    /** What the reader leaves in the inbox when the stream ends or breaks; nothing follows it. */
    private record Closed(IOException cause) {
    }

    /** {@code codec} may be made ahead of time, on another thread: Jackson's first use is slow in a cold JVM. */
    public MessageChannel(InputStream in, OutputStream out, String peer, FrameCodec codec) {
        this.codec = codec;
        this.in = in;
        this.out = out;
        this.peer = peer;
        this.reader = new Thread(this::readLoop, "rootlessjkit-" + peer + "-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void readLoop() {
        while (true) {
            try {
                final Message message = codec.read(in);
                if (message instanceof Goodbye) {
                    inbox.add(new Closed(new EOFException("the " + peer + " said goodbye")));
                    closeOutput();
                    return;
                }
                inbox.add(message);
            } catch (IOException e) {
                inbox.add(new Closed(e));
                // The peer is gone or leaving: closing our end too lets its reader leave its blocking read.
                closeOutput();
                return;
            }
        }
    }

    public void send(Message message) throws HandshakeException {
        try {
            codec.write(out, message);
        } catch (IOException e) {
            throw new HandshakeException("sending " + message.getClass().getSimpleName() + " to the " + peer
                    + " failed: " + e.getMessage(), e);
        }
    }

    /** Waits for the next message, which must be a {@code type}. */
    public <T extends Message> T expect(Class<T> type, Duration timeout) throws HandshakeException {
        final String step = type.getSimpleName();
        final Object next;
        try {
            next = inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HandshakeException("interrupted while waiting for " + step + " from the " + peer, e);
        }
        if (next == null) {
            throw new HandshakeException("timed out after " + timeout.toSeconds() + "s waiting for " + step
                    + " from the " + peer);
        }
        if (next instanceof Closed closed) {
            inbox.add(closed);
            final String why = closed.cause() instanceof EOFException ? "exited" : "broke the channel ("
                    + closed.cause().getMessage() + ")";
            throw new HandshakeException("the " + peer + " " + why + " before sending " + step, closed.cause(), true);
        }
        if (!type.isInstance(next)) {
            throw new HandshakeException("expected " + step + " from the " + peer + ", got "
                    + next.getClass().getSimpleName());
        }
        return type.cast(next);
    }

    /** Blocks until the peer closes its end, discarding anything it still sends. */
    public void awaitClosed() throws InterruptedException {
        while (!(inbox.take() instanceof Closed closed)) {
            continue;
        }
        inbox.add(closed);
    }

    /**
     * Ends the channel from this side and waits (briefly) until the peer has closed its side as well. A JVM that
     * exits while a thread is blocked in a native read waits up to 300 ms for that thread; after this, none is.
     */
    public void shutdown(Duration timeout) {
        try {
            codec.write(out, new Goodbye());
        } catch (IOException e) {
            // The peer is gone already, and our reader with it.
        }
        closeOutput();
        try {
            reader.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void closeOutput() {
        try {
            out.close();
        } catch (IOException ignored) {
            // The peer is gone already; nothing is lost by not closing cleanly.
        }
    }
}
