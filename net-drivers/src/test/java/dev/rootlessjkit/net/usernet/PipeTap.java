package dev.rootlessjkit.net.usernet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A {@link TapDevice} on two pipes standing in for the TAP fd, MTU 1500: what the test sends, the stack reads as one
 * frame, and what the stack writes, the test receives whole (one write, one read). Closing closes the test's ends;
 * the stack closes its own with the network.
 */
final class PipeTap implements AutoCloseable {
    final TapDevice device;
    private final FileDescriptor toStack;
    private final FileDescriptor fromStack;

    /** @param vnetHdr whether each frame carries a virtio-net header, as with IFF_VNET_HDR */
    PipeTap(boolean vnetHdr) throws IOException {
        this(vnetHdr, ByteBufAllocator.DEFAULT, System.err::println);
    }

    PipeTap(boolean vnetHdr, ByteBufAllocator allocator, Consumer<String> warnings) throws IOException {
        Epoll.ensureAvailability();
        final FileDescriptor[] in = FileDescriptor.pipe();
        final FileDescriptor[] out = FileDescriptor.pipe();
        this.device = new TapDevice(in[0], out[1], 1500, vnetHdr, allocator, warnings);
        this.toStack = in[1];
        this.fromStack = out[0];
    }

    /** Writes {@code parts} (a virtio-net header and a frame, say) as one frame to the stack. */
    void send(byte[]... parts) throws IOException {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        final ByteBuffer b = ByteBuffer.allocateDirect(length);
        for (byte[] part : parts) {
            b.put(part);
        }
        b.flip();
        assertEquals(length, toStack.write(b, 0, length));
    }

    /** The next frame the stack wrote, header included, waiting for it (Netty's pipes do not block: 0 is none yet). */
    byte[] receive() throws IOException {
        final ByteBuffer b = ByteBuffer.allocateDirect(70000);
        int n;
        while ((n = fromStack.read(b, 0, b.capacity())) == 0) {
            LockSupport.parkNanos(1_000_000);
        }
        final byte[] frame = new byte[n];
        b.get(0, frame);
        return frame;
    }

    @Override
    public void close() throws IOException {
        toStack.close();
        fromStack.close();
    }
}
