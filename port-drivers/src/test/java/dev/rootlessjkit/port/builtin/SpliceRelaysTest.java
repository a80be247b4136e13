package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.TcpPortTraffic;
import java.io.FileInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What {@link SpliceRelays} does when the process has no fds left for a relay's pipes. */
@Timeout(60)
class SpliceRelaysTest {
    private final Sockets sockets = Sockets.load();

    /** Hands the fds back through {@link #fallBack}, and keeps the relay it was given. */
    private static final class Owner implements SpliceRelay.Owner {
        final CompletableFuture<SpliceRelay> started = new CompletableFuture<>();
        final CompletableFuture<String> fellBack = new CompletableFuture<>();

        @Override
        public boolean track(SpliceRelay relay) {
            started.complete(relay);
            return true;
        }

        @Override
        public void untrack(SpliceRelay relay, boolean socketsClosed) {
        }

        @Override
        public void fallBack(String why) {
            fellBack.complete(why);
        }

        @Override
        public TcpPortTraffic traffic() {
            return new TcpPortTraffic();
        }
    }

    /**
     * With every fd of the process in use, pipe2 fails with EMFILE: the connection's sockets come back to the
     * owner untouched and still open, and nothing is left reserved.
     */
    @Test
    void pipesRefusedWithEmfileHandTheSocketsBack() throws Exception {
        try (SpliceRelays relays = new SpliceRelays(1, 1000, SpliceRelays.PIPE_BYTES, new Log("test", false))) {
            // The first relay starts the loop (its epoll and eventfd) while fds are plentiful.
            final int[] a = sockets.socketPair(Sockets.Type.STREAM);
            final int[] b = sockets.socketPair(Sockets.Type.STREAM);
            final Owner first = new Owner();
            relays.relay(a[0], b[0], first);
            first.started.get(5, TimeUnit.SECONDS).closeAsync().get(5, TimeUnit.SECONDS);
            assertEquals(0, relays.pipeFdsInUse());
            sockets.close(a[1]);
            sockets.close(b[1]);

            final int[] c = sockets.socketPair(Sockets.Type.STREAM);
            final int[] d = sockets.socketPair(Sockets.Type.STREAM);
            final Owner second = new Owner();
            final String why;
            final List<FileInputStream> filler = new ArrayList<>();
            try {
                try {
                    while (true) {
                        filler.add(new FileInputStream("/dev/null"));
                    }
                } catch (IOException e) {
                    // EMFILE: every fd is taken
                }
                relays.relay(c[0], d[0], second);
                why = second.fellBack.get(5, TimeUnit.SECONDS);
            } finally {
                for (FileInputStream f : filler) {
                    f.close();
                }
            }
            assertTrue(why.startsWith("pipe2: ") && why.toLowerCase().contains("too many open files"), why);
            assertTrue(!second.started.isDone());
            assertEquals(0, relays.pipeFdsInUse());
            for (int[] pair : new int[][] {c, d}) {
                sockets.send(pair[0], new byte[] {42}, -1);
                final byte[] got = new byte[1];
                assertEquals(1, sockets.receive(pair[1], got).length());
                assertArrayEquals(new byte[] {42}, got);
                sockets.close(pair[0]);
                sockets.close(pair[1]);
            }
        }
    }
}
