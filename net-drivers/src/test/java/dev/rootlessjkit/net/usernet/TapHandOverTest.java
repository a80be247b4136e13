package dev.rootlessjkit.net.usernet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The parent's side of the TAP hand-over; creating a TAP device needs CAP_NET_ADMIN, so a pipe stands in for it. */
class TapHandOverTest {
    private final Linux linux = Linux.load();
    private final Sockets sockets = Sockets.load();

    @Test
    void receivesTheFdTheChildSent() throws Exception {
        final int[] pair = sockets.socketPair(Sockets.Type.SEQPACKET);
        final int[] pipe = linux.pipe();
        try {
            sockets.send(pair[1], new byte[] {'t'}, pipe[1]);
            final int received = TapHandOver.receive(linux, sockets, pair[0], Duration.ofSeconds(5));
            assertTrue(received >= 0 && received != pipe[1]);
            linux.write(received, new byte[] {42}, 1);
            final byte[] got = new byte[1];
            linux.read(pipe[0], got, 1);
            assertArrayEquals(new byte[] {42}, got);
            sockets.close(received);
        } finally {
            closeAll(pair[0], pair[1], pipe[0], pipe[1]);
        }
    }

    @Test
    void aChildThatClosesWithoutSendingIsAnError() throws Exception {
        final int[] pair = sockets.socketPair(Sockets.Type.SEQPACKET);
        sockets.close(pair[1]);
        try {
            final NetworkDriverException e = assertThrows(NetworkDriverException.class,
                    () -> TapHandOver.receive(linux, sockets, pair[0], Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("without passing its TAP device"), e.getMessage());
        } finally {
            sockets.close(pair[0]);
        }
    }

    @Test
    void aSilentChildTimesOut() throws Exception {
        final int[] pair = sockets.socketPair(Sockets.Type.SEQPACKET);
        try {
            final NetworkDriverException e = assertThrows(NetworkDriverException.class,
                    () -> TapHandOver.receive(linux, sockets, pair[0], Duration.ofMillis(50)));
            assertTrue(e.getMessage().contains("passed no TAP device"), e.getMessage());
        } finally {
            closeAll(pair[0], pair[1]);
        }
    }

    private void closeAll(int... fds) {
        for (int fd : fds) {
            sockets.close(fd);
        }
    }
}
