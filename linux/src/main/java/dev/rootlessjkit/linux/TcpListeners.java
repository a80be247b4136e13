package dev.rootlessjkit.linux;

import java.nio.ByteBuffer;

/**
 * Asks the kernel (sock_diag) whether a TCP listener would take a connection to an address and port of the
 * calling thread's network namespace, as {@code ss -ltn} would show, with one netlink round trip and no side
 * effect: a wildcard listener ({@code 0.0.0.0}, a dual-stack {@code [::]}) counts. The socket belongs to the
 * namespace the thread was in when {@link #open} ran. Not thread-safe.
 */
public final class TcpListeners implements AutoCloseable {
    private static final int NETLINK_SOCK_DIAG = 4;
    private static final short SOCK_DIAG_BY_FAMILY = 20;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final byte IPPROTO_TCP = 6;
    private static final int TCP_LISTEN = 10;
    /** struct inet_diag_req_v2: family, protocol, ext, pad, states, then inet_diag_sockid (48 bytes). */
    private static final int REQUEST_BYTES = 56;

    private final Netlink netlink;

    private TcpListeners(Netlink netlink) {
        this.netlink = netlink;
    }

    public static TcpListeners open() throws ErrnoException {
        return new TcpListeners(Netlink.open(NETLINK_SOCK_DIAG, "NETLINK_SOCK_DIAG"));
    }

    /** Whether a connection to {@code address:port} would reach a listener (not a DNAT rule, say). */
    public boolean listening(byte[] address, int port) throws ErrnoException {
        final ByteBuffer b = netlink.message(SOCK_DIAG_BY_FAMILY, Netlink.NLM_F_REQUEST, REQUEST_BYTES);
        b.put((byte) (address.length == 4 ? AF_INET : AF_INET6)).put(IPPROTO_TCP).put((byte) 0).put((byte) 0)
                .putInt(1 << TCP_LISTEN);
        // inet_diag_sockid, ports and addresses in network order. The kernel looks the socket up as the receiver
        // of a packet from the "destination" (none here) to the "source", which finds listeners.
        b.put((byte) (port >>> 8)).put((byte) port).putShort((short) 0);
        final byte[] source = new byte[16];
        System.arraycopy(address, 0, source, 0, address.length);
        b.put(source).put(new byte[16]).putInt(0);
        b.putInt(-1).putInt(-1); // INET_DIAG_NOCOOKIE
        try {
            return netlink.request(b, "sock_diag tcp listener").type() == SOCK_DIAG_BY_FAMILY;
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ENOENT) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void close() {
        netlink.close();
    }
}
