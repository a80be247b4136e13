package dev.rootlessjkit.linux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Policy routing of the calling thread's network namespace over rtnetlink, as {@code ip rule add} and
 * {@code ip route add} do, without an {@code ip} process per step; and the namespace's sysctls that go with it.
 * The netlink socket belongs to the namespace the thread was in when {@link #open} ran. Not thread-safe.
 */
public final class PolicyRouting implements AutoCloseable {
    private static final int NETLINK_ROUTE = 0;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final short RTM_NEWROUTE = 24;
    private static final short RTM_NEWRULE = 32;
    private static final short CREATE_ONLY = (short) (Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK | Netlink.NLM_F_CREATE
            | Netlink.NLM_F_EXCL);
    private static final byte RTPROT_BOOT = 3;
    private static final byte RT_SCOPE_HOST = (byte) 254;
    private static final byte RTN_LOCAL = 2;
    private static final byte FR_ACT_TO_TBL = 1;
    private static final short RTA_OIF = 4;
    private static final short RTA_TABLE = 15;
    private static final short FRA_PRIORITY = 6;
    private static final short FRA_FWMARK = 10;
    private static final short FRA_TABLE = 15;
    private static final short FRA_FWMASK = 16;
    /** The loopback device is always interface 1 in a network namespace. */
    private static final int LOOPBACK_IFINDEX = 1;
    private static final Path TCP_FWMARK_ACCEPT = Path.of("/proc/sys/net/ipv4/tcp_fwmark_accept");

    private final Netlink netlink;

    private PolicyRouting(Netlink netlink) {
        this.netlink = netlink;
    }

    /** A route netlink socket in the calling thread's network namespace. */
    public static PolicyRouting open() throws ErrnoException {
        return new PolicyRouting(Netlink.open(NETLINK_ROUTE, "NETLINK_ROUTE"));
    }

    /**
     * {@code ip route add local default dev lo table TABLE}: every destination looked up in {@code table} is this
     * host's own, so packets routed by it are delivered to local sockets. Fails with EEXIST when the table has a
     * default route already (someone else's: this is never undone or replaced).
     */
    public void addLocalDefaultRoute(boolean v6, int table) throws ErrnoException {
        final ByteBuffer b = netlink.message(RTM_NEWROUTE, CREATE_ONLY, 12 + 8 + 8);
        b.put((byte) (v6 ? AF_INET6 : AF_INET)).put((byte) 0).put((byte) 0).put((byte) 0)
                .put((byte) 0).put(RTPROT_BOOT).put(RT_SCOPE_HOST).put(RTN_LOCAL).putInt(0);
        attribute(b, RTA_TABLE, table);
        attribute(b, RTA_OIF, LOOPBACK_IFINDEX);
        netlink.request(b, (v6 ? "ip -6" : "ip") + " route add local default dev lo table " + table);
    }

    /**
     * {@code ip rule add fwmark MARK lookup TABLE priority PRIORITY}. Fails with EEXIST when the same rule exists.
     */
    public void addFwmarkRule(boolean v6, int mark, int table, int priority) throws ErrnoException {
        final ByteBuffer b = netlink.message(RTM_NEWRULE, CREATE_ONLY, 12 + 4 * 8);
        b.put((byte) (v6 ? AF_INET6 : AF_INET)).put((byte) 0).put((byte) 0).put((byte) 0)
                .put((byte) 0).put((byte) 0).put((byte) 0).put(FR_ACT_TO_TBL).putInt(0);
        attribute(b, FRA_TABLE, table);
        attribute(b, FRA_PRIORITY, priority);
        attribute(b, FRA_FWMARK, mark);
        attribute(b, FRA_FWMASK, 0xffffffff);
        netlink.request(b, (v6 ? "ip -6" : "ip") + " rule add fwmark " + mark + " lookup " + table + " priority "
                + priority);
    }

    /**
     * {@code sysctl net.ipv4.tcp_fwmark_accept=1} in the calling thread's namespace (IPv4 and IPv6 alike): a
     * socket accepted from a marked SYN, when its listener sets no mark of its own, carries the SYN's mark, so
     * its answers are routed by the same policy as the SYN's sender chose.
     */
    public static void acceptSynMarks() throws IOException {
        try {
            Files.write(TCP_FWMARK_ACCEPT, "1".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new IOException("cannot set " + TCP_FWMARK_ACCEPT + ": " + e, e);
        }
    }

    private static void attribute(ByteBuffer b, short type, int value) {
        b.putShort((short) 8).putShort(type).putInt(value);
    }

    @Override
    public void close() {
        netlink.close();
    }
}
