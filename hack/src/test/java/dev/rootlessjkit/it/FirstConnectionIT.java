package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The first connection and the first datagram after start-up reach the server inside, every time: 50 starts per
 * network driver, each probed once (no retry) as soon as the servers inside are up.
 */
class FirstConnectionIT {
    private static final int RUNS = 50;

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @ParameterizedTest(name = "builtin over {0}")
    @ValueSource(strings = {"slirp4netns", "usernet"})
    void firstConnectionAndFirstDatagramAreNeverLost(String net) throws IOException {
        for (int run = 0; run < RUNS; run++) {
            final int tcp = Ports.freeTcpPort();
            final int udp = Ports.freeUdpPort();
            try (PortInstance instance = PortInstance.with(sandbox)
                    .drivers("--net=" + net, "--port-driver=builtin")
                    .publish("127.0.0.1:" + tcp + ":7000/tcp")
                    .publish("127.0.0.1:" + udp + ":7000/udp")
                    .tcpServer(7000, "socat TCP-LISTEN:7000,reuseaddr,fork PIPE")
                    .udpServer(7000, "socat UDP-LISTEN:7000,reuseaddr,fork PIPE")
                    .start()) {
                final String context = "run " + (run + 1) + " of " + RUNS;
                final byte[] first = ("first " + run).getBytes(StandardCharsets.US_ASCII);
                assertEquals("first " + run, new String(Ports.exchange(Ports.V4, tcp, first),
                        StandardCharsets.US_ASCII), () -> context + ": TCP\n" + instance.describe());
                assertEquals("first " + run, firstDatagram(udp, first), () -> context + ": UDP\n"
                        + instance.describe());
                instance.stop();
            }
        }
    }

    /** One datagram, and the answer within 5 s or null. */
    private static String firstDatagram(int port, byte[] payload) throws IOException {
        try (DatagramSocket c = new DatagramSocket()) {
            c.connect(new InetSocketAddress(Ports.V4, port));
            c.setSoTimeout(5000);
            c.send(new DatagramPacket(payload, payload.length));
            final DatagramPacket r = new DatagramPacket(new byte[100], 100);
            try {
                c.receive(r);
                return new String(r.getData(), 0, r.getLength(), StandardCharsets.US_ASCII);
            } catch (SocketTimeoutException e) {
                return null;
            }
        }
    }
}
