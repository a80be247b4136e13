package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code --net=gvisor-tap-vsock --port-driver=gvisor-tap-vsock}, dockerd-rootless.sh's fallback when no helper
 * binary is installed: served by usernet, with gvisor-tap-vsock's MTU of 1500, and a published port serving.
 */
class GvisorTapVsockIT {

    private static final String PAGE = "hello through gvisor-tap-vsock\n";

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void servedByUsernetWithItsDefaults() throws IOException {
        final int port = Ports.freeTcpPort();
        final Workspace workspace = sandbox.workspace();
        workspace.ownerShell("mkdir -p www && printf %s " + Shell.quote(PAGE) + " > www/index.html");
        try (PortInstance instance = PortInstance.with(sandbox)
                .drivers("--net=gvisor-tap-vsock", "--port-driver=gvisor-tap-vsock", "--disable-host-loopback")
                .publish("127.0.0.1:" + port + ":80/tcp")
                .first("echo mtu=$(cat /sys/class/net/tap0/mtu)")
                .tcpServer(80, "busybox httpd -f -p 80 -h " + Shell.quote(workspace.path().resolve("www").toString()))
                .start()) {

            Ports.assertServes(PAGE, Ports.V4, port, instance::describe);

            final Result result = instance.stop();
            assertTrue(result.stdoutLines().contains("mtu=1500"), result::describe);
        }
    }
}
