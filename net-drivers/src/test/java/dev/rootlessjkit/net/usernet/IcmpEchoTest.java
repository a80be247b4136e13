package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.icmpEcho;
import static dev.rootlessjkit.net.usernet.TestFrames.ip;
import static dev.rootlessjkit.net.usernet.TestFrames.ipFrame;
import static dev.rootlessjkit.net.usernet.TestFrames.ipv4;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.linux.Errno;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.net.usernet.icmp.HostEchoSockets;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Echo requests to other hosts: through ping sockets where the host allows them, an ICMP error where not. */
class IcmpEchoTest {
    /** A documentation address (RFC 5737): only ever used with sockets that refuse to open. */
    private static final int OUTSIDE = ip("192.0.2.99");
    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();

    private StackHarness h;

    private static UsernetConfig config() {
        return TestConfig.defaults().mtu(1500).build();
    }

    private static byte[] echo(int dst, byte[] icmp) {
        return ipFrame(ipv4(GUEST, dst, 1, 9, 0, new byte[0], icmp));
    }

    /** The destination-unreachable the stack sent, checked against the datagram it quotes. */
    private static void assertUnreachable(Parsed p, int code, int quotedDst, byte[] quotedL4) {
        p.checkL4();
        assertEquals(GATEWAY, p.ipSrc());
        assertEquals(GUEST, p.ipDst());
        int icmp = p.l4();
        assertEquals(3, p.raw[icmp] & 0xff);
        assertEquals(code, p.raw[icmp + 1] & 0xff);
        int quoted = icmp + 8;
        assertEquals(0, TestFrames.checksum(p.raw, quoted, 20, 0), "quoted IP header checksum");
        assertEquals(1, p.raw[quoted + 9]);
        assertEquals(GUEST, p.b.getInt(quoted + 12));
        assertEquals(quotedDst, p.b.getInt(quoted + 16));
        assertArrayEquals(Arrays.copyOf(quotedL4, 8), Arrays.copyOfRange(p.raw, quoted + 20, quoted + 28));
    }

    @Test
    void refusedPingSocketsAreReportedAsAdministrativelyProhibitedNotForged() {
        h = stacks.harness(config(), () -> {
            throw new ErrnoException("socket", "AF_INET ICMP (ping)", Errno.EACCES, "Permission denied");
        });
        byte[] icmp = icmpEcho(0x4242, 1, "hello".getBytes());
        h.send(echo(OUTSIDE, icmp));
        assertUnreachable(h.next(), 13, OUTSIDE, icmp);
        assertEquals(1, h.counter(Counter.ICMP_ECHO_NOT_PERMITTED));
        assertEquals(0, h.counter(Counter.ICMP_ECHO_FORWARDED));
    }

    @Test
    void addressesWithNoHostBehindThemAreUnreachable() {
        h = stacks.harness(config(), () -> {
            throw new AssertionError("no socket may be opened for an address inside the guest network");
        });
        byte[] icmp = icmpEcho(7, 1, new byte[32]);
        h.send(echo(ip("10.0.2.50"), icmp));
        assertUnreachable(h.next(), 1, ip("10.0.2.50"), icmp);
    }

    @Test
    void echoesThroughAPingSocketWithTheGuestsIdentifier() throws IOException {
        HostEchoSockets host = new HostEchoSockets();
        int probe;
        try {
            probe = host.open();
        } catch (ErrnoException e) {
            // The kernel's default net.ipv4.ping_group_range ("1 0") excludes everyone; systemd-based distributions
            // open it to all groups, and hack/ci-setup.sh does the same.
            throw new AssertionError("ping sockets are not allowed here (" + e.getMessage()
                    + "): set net.ipv4.ping_group_range='0 2147483647' as hack/ci-setup.sh does", e);
        }
        new io.netty.channel.unix.FileDescriptor(probe).close();
        h = stacks.harness(config(), host);
        // 127.0.0.2 is the host's loopback but not the address the gateway stands for, so replies keep their source.
        int target = ip("127.0.0.2");
        byte[] data = "echo through the host".getBytes();
        h.send(echo(target, icmpEcho(0x5151, 3, data)));
        Parsed r = h.next();
        r.checkL4();
        assertEquals(target, r.ipSrc());
        assertEquals(GUEST, r.ipDst());
        assertEquals(0, r.raw[r.l4()]);
        assertEquals(0x5151, r.b.getShort(r.l4() + 4) & 0xffff);
        assertEquals(3, r.b.getShort(r.l4() + 6));
        assertArrayEquals(data, Arrays.copyOfRange(r.raw, r.l4() + 8, r.raw.length));
        assertEquals(1, h.counter(Counter.ICMP_ECHO_FORWARDED_REPLIES));
    }
}
