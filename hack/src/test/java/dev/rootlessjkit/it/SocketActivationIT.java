package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * systemd socket activation through the launcher: the command receives the listening socket as fd 3, and
 * LISTEN_PID names the command itself (RootlessKit's integration-systemd-socket.sh, its issues #428 and #448).
 */
class SocketActivationIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void commandReceivesTheActivatedSocket() throws IOException {
        final Rootless rootless = sandbox.rootless();
        final int port = freeLoopbackPort();
        final String check = "echo LISTEN_FDS=$LISTEN_FDS; echo LISTEN_PID=$LISTEN_PID; echo PID=$$;"
                + " echo FD3=$(readlink /proc/$$/fd/3)";
        // systemd-socket-activate listens, execs the launcher (keeping its PID) on the first connection.
        try (Running running = rootless.program(List.of("systemd-socket-activate", "-l", "127.0.0.1:" + port,
                rootless.launcher(), "sh", "-c", check)).start()) {
            running.await("a connection to 127.0.0.1:" + port, Invocation.DEFAULT_TIMEOUT, () -> connect(port));

            final Result result = running.waitFor();

            Expect.exitCode(0, result);
            final Map<String, String> seen = result.keyValues();
            assertEquals("1", seen.get("LISTEN_FDS"), result::describe);
            assertEquals(seen.get("PID"), seen.get("LISTEN_PID"), result::describe);
            assertTrue(seen.getOrDefault("FD3", "").startsWith("socket:["), () -> "fd 3 is not the socket\n"
                    + result.describe());
        }
    }

    private static boolean connect(int port) {
        try {
            new Socket(InetAddress.getLoopbackAddress(), port).close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
