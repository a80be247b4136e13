package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The TAP reader thread outlives an Error such as OutOfDirectMemoryError: the frame is lost, the network is not. */
class TapReaderErrorTest {
    /** Direct buffers that fail while {@link #failures} is positive, as an exhausted direct memory pool does. */
    private static final class FailingAllocator extends AbstractByteBufAllocator {
        final AtomicInteger failures = new AtomicInteger();

        FailingAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new OutOfMemoryError("Cannot reserve " + initialCapacity + " bytes of direct buffer memory");
            }
            return UnpooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return UnpooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    @Test
    void anErrorWhileReadingDropsOneFrameAndReadingGoesOn() throws Exception {
        FailingAllocator alloc = new FailingAllocator();
        List<String> warnings = new CopyOnWriteArrayList<>();
        UsernetConfig config = TestConfig.defaults().mtu(1500).build();
        try (PipeTap pipes = new PipeTap(false, alloc, warnings::add);
                UsernetNetwork net = UsernetNetwork.start(config, pipes.device)) {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                pipes.send(TestFrames.arpRequest(GUEST_MAC, GUEST, GATEWAY));
                assertEquals(0x0806, new Parsed(pipes.receive()).ethType());

                // The small frame's own buffer cannot be had: this frame is lost.
                alloc.failures.set(1);
                pipes.send(TestFrames.arpRequest(GUEST_MAC, GUEST, GATEWAY));
                while (pipes.device.readerDrops() == 0) {
                    LockSupport.parkNanos(1_000_000);
                }

                pipes.send(TestFrames.arpRequest(GUEST_MAC, GUEST, GATEWAY));
                assertEquals(0x0806, new Parsed(pipes.receive()).ethType(), "the reader must still be reading");
            });
            assertEquals(1, pipes.device.readerDrops());
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains("dropped 1 frame"), warnings.get(0));
        }
    }
}
