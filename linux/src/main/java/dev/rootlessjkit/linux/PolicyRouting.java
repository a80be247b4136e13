package dev.rootlessjkit.linux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * Policy routing of the calling thread's network namespace over rtnetlink, as {@code ip rule add} and
 * {@code ip route add} do, without an {@code ip} process per step; and the namespace's sysctls that go with it.
 * The netlink socket belongs to the namespace the thread was in when {@link #open} ran. Not thread-safe.
 */
public final class PolicyRouting implements AutoCloseable {
    private static final int AF_NETLINK = 16;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int NETLINK_ROUTE = 0;
    private static final short RTM_NEWROUTE = 24;
    private static final short RTM_NEWRULE = 32;
    private static final short NLMSG_ERROR = 2;
    private static final short NLM_F_REQUEST = 1;
    private static final short NLM_F_ACK = 4;
    private static final short NLM_F_EXCL = 0x200;
    private static final short NLM_F_CREATE = 0x400;
    private static final int NLMSGHDR_BYTES = 16;
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
    private static final int EINTR = 4;
    private static final Path TCP_FWMARK_ACCEPT = Path.of("/proc/sys/net/ipv4/tcp_fwmark_accept");

    private final LibC lib;
    private final Runtime runtime;
    private final int fd;
    private int sequence;

    private PolicyRouting(LibC lib, int fd) {
        this.lib = lib;
        this.runtime = Runtime.getRuntime(lib);
        this.fd = fd;
    }

    /** A route netlink socket in the calling thread's network namespace. */
    public static PolicyRouting open() throws ErrnoException {
        final LibC lib = LibraryLoader.create(LibC.class).load("c");
        final int fd = lib.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) {
            final int errno = Runtime.getRuntime(lib).getLastError();
            throw new ErrnoException("socket", "AF_NETLINK", errno, lib.strerror(errno));
        }
        return new PolicyRouting(lib, fd);
    }

    /**
     * {@code ip route add local default dev lo table TABLE}: every destination looked up in {@code table} is this
     * host's own, so packets routed by it are delivered to local sockets. Fails with EEXIST when the table has a
     * default route already (someone else's: this is never undone or replaced).
     */
    public void addLocalDefaultRoute(boolean v6, int table) throws ErrnoException {
        final ByteBuffer b = message(RTM_NEWROUTE, 12 + 8 + 8);
        b.put((byte) (v6 ? AF_INET6 : AF_INET)).put((byte) 0).put((byte) 0).put((byte) 0)
                .put((byte) 0).put(RTPROT_BOOT).put(RT_SCOPE_HOST).put(RTN_LOCAL).putInt(0);
        attribute(b, RTA_TABLE, table);
        attribute(b, RTA_OIF, LOOPBACK_IFINDEX);
        request(b, (v6 ? "ip -6" : "ip") + " route add local default dev lo table " + table);
    }

    /**
     * {@code ip rule add fwmark MARK lookup TABLE priority PRIORITY}. Fails with EEXIST when the same rule exists.
     */
    public void addFwmarkRule(boolean v6, int mark, int table, int priority) throws ErrnoException {
        final ByteBuffer b = message(RTM_NEWRULE, 12 + 4 * 8);
        b.put((byte) (v6 ? AF_INET6 : AF_INET)).put((byte) 0).put((byte) 0).put((byte) 0)
                .put((byte) 0).put((byte) 0).put((byte) 0).put(FR_ACT_TO_TBL).putInt(0);
        attribute(b, FRA_TABLE, table);
        attribute(b, FRA_PRIORITY, priority);
        attribute(b, FRA_FWMARK, mark);
        attribute(b, FRA_FWMASK, 0xffffffff);
        request(b, (v6 ? "ip -6" : "ip") + " rule add fwmark " + mark + " lookup " + table + " priority "
                + priority);
    }

    /**
     * {@code sysctl net.ipv4.tcp_fwmark_accept=1} in the calling thread's namespace (IPv4 and IPv6 alike): a
     * socket accepted from a marked SYN, when its listener sets no mark of its own, carries the SYN's mark, so
     * its answers are routed by the same policy as the SYN's sender chose.
     */
    public static void acceptSynMarks() throws IOException {
        turnOn(TCP_FWMARK_ACCEPT);
    }

    /**
     * {@code sysctl net.ipv4.fwmark_reflect=1} (or net.ipv6's) in the calling thread's namespace: the packets the
     * kernel sends on no socket's behalf (a TCP RST from a port where nothing listens, ICMP errors) carry the mark
     * of the packet they answer, instead of none.
     */
    public static void reflectMarks(boolean v6) throws IOException {
        turnOn(Path.of(v6 ? "/proc/sys/net/ipv6/fwmark_reflect" : "/proc/sys/net/ipv4/fwmark_reflect"));
    }

    private static void turnOn(Path sysctl) throws IOException {
        try {
            Files.write(sysctl, "1".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new IOException("cannot set " + sysctl + ": " + e, e);
        }
    }

    private ByteBuffer message(short type, int payload) {
        final ByteBuffer b = ByteBuffer.allocate(NLMSGHDR_BYTES + payload).order(ByteOrder.nativeOrder());
        b.putInt(NLMSGHDR_BYTES + payload).putShort(type)
                .putShort((short) (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)).putInt(++sequence)
                .putInt(0);
        return b;
    }

    private static void attribute(ByteBuffer b, short type, int value) {
        b.putShort((short) 8).putShort(type).putInt(value);
    }

    /** Sends the request to the kernel and reads its acknowledgement: 0, or an errno thrown. */
    private void request(ByteBuffer b, String subject) throws ErrnoException {
        final byte[] bytes = b.array();
        long n;
        while ((n = lib.write(fd, bytes, bytes.length)) < 0 && runtime.getLastError() == EINTR) {
            // retry
        }
        if (n != bytes.length) {
            throw error("sendto", subject);
        }
        final byte[] reply = new byte[4096];
        while (true) {
            while ((n = lib.read(fd, reply, reply.length)) < 0 && runtime.getLastError() == EINTR) {
                // retry
            }
            if (n < 0) {
                throw error("recv", subject);
            }
            final ByteBuffer r = ByteBuffer.wrap(reply, 0, (int) n).order(ByteOrder.nativeOrder());
            while (r.remaining() >= NLMSGHDR_BYTES + 4) {
                final int start = r.position();
                final int length = r.getInt();
                final short type = r.getShort();
                r.getShort();
                final int seq = r.getInt();
                r.getInt();
                if (type == NLMSG_ERROR && seq == sequence) {
                    final int errno = -r.getInt();
                    if (errno == 0) {
                        return;
                    }
                    throw new ErrnoException("netlink", subject, errno, lib.strerror(errno));
                }
                if (length < NLMSGHDR_BYTES) {
                    break;
                }
                r.position(Math.min(r.limit(), start + ((length + 3) & ~3)));
            }
        }
    }

    private ErrnoException error(String call, String subject) {
        final int errno = runtime.getLastError();
        return new ErrnoException(call, subject, errno, lib.strerror(errno));
    }

    @Override
    public void close() {
        lib.close(fd);
    }
}
