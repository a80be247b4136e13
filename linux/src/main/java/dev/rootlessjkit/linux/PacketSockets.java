package dev.rootlessjkit.linux;

import static dev.rootlessjkit.linux.Libc.BIND;
import static dev.rootlessjkit.linux.Libc.CLOSE;
import static dev.rootlessjkit.linux.Libc.GETSOCKNAME;
import static dev.rootlessjkit.linux.Libc.IOCTL;
import static dev.rootlessjkit.linux.Libc.POLL;
import static dev.rootlessjkit.linux.Libc.SOCKET;
import static dev.rootlessjkit.linux.NativeCalls.INT;
import static dev.rootlessjkit.linux.NativeCalls.LONG;
import static dev.rootlessjkit.linux.NativeCalls.POINTER;

import com.kenai.jffi.MemoryIO;
import dev.rootlessjkit.linux.NativeCalls.Function;
import java.nio.charset.StandardCharsets;

/**
 * IPv4 packets on one interface below the IP stack: an AF_PACKET datagram socket (the kernel adds and strips the
 * Ethernet header). A DHCP client needs it because the interface has no address yet: the IP stack would drop the
 * server's answer to an address it does not have, and reverse-path filtering may drop its broadcasts. Opening one
 * needs CAP_NET_RAW in the namespace's user namespace, which the child has. While open, the socket gets a copy of
 * every IPv4 packet the interface receives, so it is meant to be open for the seconds of an exchange only.
 */
public final class PacketSockets {
    private static final int AF_PACKET = 17;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int ETH_P_IP = 0x0800;
    private static final short POLLIN = 1;
    // struct sockaddr_ll: family (2), protocol (2, network order), ifindex (4), hatype (2), pkttype (1),
    // halen (1), addr (8).
    private static final int SOCKADDR_LL_BYTES = 20;
    private static final int SLL_PROTOCOL = 2;
    private static final int SLL_IFINDEX = 4;
    private static final int SLL_HALEN = 11;
    private static final int SLL_ADDR = 12;
    private static final int ETHER_ADDR_LEN = 6;
    private static final int SIOCGIFFLAGS = 0x8913;
    private static final int IFREQ_BYTES = 40;
    private static final int IFNAMSIZ = 16;
    private static final int IFF_RUNNING = 0x40;

    private static final Function IF_NAMETOINDEX = Function.ofInt("if_nametoindex", POINTER);
    private static final Function SENDTO = Function.ofLong("sendto", INT, POINTER, LONG, INT, POINTER, INT);
    private static final Function RECV = Function.ofLong("recv", INT, POINTER, LONG, INT);

    private final NativeCalls c;
    private final MemoryIO memory;

    private PacketSockets(NativeCalls calls) {
        this.c = calls;
        this.memory = calls.memory();
    }

    public static PacketSockets load() {
        return new PacketSockets(NativeCalls.load());
    }

    /**
     * A packet socket bound to {@code ifname} of the calling thread's network namespace.
     *
     * @param fd              close it with {@link #close}
     * @param ifindex         the interface's index, where {@link #sendBroadcast} sends
     * @param hardwareAddress the interface's 6-byte Ethernet address
     */
    public record Bound(int fd, int ifindex, byte[] hardwareAddress) {
    }

    /** Opens a blocking, close-on-exec packet socket for the IPv4 packets of {@code ifname}. */
    public Bound open(String ifname) throws ErrnoException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final int ifindex = c.callInt(IF_NAMETOINDEX, scratch.string(ifname));
            if (ifindex == 0) {
                throw c.failure("if_nametoindex", ifname);
            }
            final int fd = c.callInt(SOCKET, AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
            if (fd < 0) {
                throw c.failure("socket", "AF_PACKET " + ifname);
            }
            boolean ok = false;
            try {
                if (c.callInt(BIND, fd, linkAddress(scratch, ifindex), SOCKADDR_LL_BYTES) != 0) {
                    throw c.failure("bind", "AF_PACKET " + ifname);
                }
                // A bound packet socket's own address holds the interface's hardware address.
                final long name = scratch.allocate(SOCKADDR_LL_BYTES);
                final long length = scratch.allocate(Integer.BYTES);
                memory.putInt(length, SOCKADDR_LL_BYTES);
                if (c.callInt(GETSOCKNAME, fd, name, length) != 0) {
                    throw c.failure("getsockname", "AF_PACKET " + ifname);
                }
                final int halen = memory.getByte(name + SLL_HALEN) & 0xff;
                if (halen != ETHER_ADDR_LEN) {
                    throw new ErrnoException("getsockname", ifname, 0, "not an Ethernet interface (hardware address"
                            + " of " + halen + " bytes)");
                }
                final byte[] mac = new byte[ETHER_ADDR_LEN];
                memory.getByteArray(name + SLL_ADDR, mac, 0, ETHER_ADDR_LEN);
                ok = true;
                return new Bound(fd, ifindex, mac);
            } finally {
                if (!ok) {
                    c.call(CLOSE, fd);
                }
            }
        }
    }

    /** Sends one IPv4 packet (from its header on) to the Ethernet broadcast address. */
    public void sendBroadcast(Bound socket, byte[] packet) throws ErrnoException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long sa = linkAddress(scratch, socket.ifindex());
            memory.putByte(sa + SLL_HALEN, (byte) ETHER_ADDR_LEN);
            for (int i = 0; i < ETHER_ADDR_LEN; i++) {
                memory.putByte(sa + SLL_ADDR + i, (byte) 0xff);
            }
            final long buf = scratch.allocate(packet.length);
            memory.putByteArray(buf, packet, 0, packet.length);
            while (c.call(SENDTO, socket.fd(), buf, packet.length, 0, sa, SOCKADDR_LL_BYTES) < 0) {
                if (c.errno() != Errno.EINTR) {
                    throw c.failure("sendto", "AF_PACKET ifindex " + socket.ifindex());
                }
            }
        }
    }

    /**
     * Receives one IPv4 packet into {@code into} (a longer one is cut to its length), waiting at most
     * {@code timeoutMillis}; the number of bytes, or -1 when none came in time.
     */
    public int receive(Bound socket, byte[] into, int timeoutMillis) throws ErrnoException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long pollfd = scratch.allocate(8);
            memory.putInt(pollfd, socket.fd());
            memory.putShort(pollfd + 4, POLLIN);
            int ready;
            while ((ready = c.callInt(POLL, pollfd, 1, timeoutMillis)) < 0) {
                if (c.errno() != Errno.EINTR) {
                    throw c.failure("poll", "AF_PACKET ifindex " + socket.ifindex());
                }
            }
            if (ready == 0) {
                return -1;
            }
            final long buf = scratch.allocate(into.length);
            long n;
            while ((n = c.call(RECV, socket.fd(), buf, into.length, 0)) < 0) {
                if (c.errno() != Errno.EINTR) {
                    throw c.failure("recv", "AF_PACKET ifindex " + socket.ifindex());
                }
            }
            memory.getByteArray(buf, into, 0, (int) n);
            return (int) n;
        }
    }

    /**
     * Whether the interface is operational (IFF_RUNNING): its link is up and the kernel has given it its queueing
     * discipline. Until then it drops what is sent (the kernel's link watch does that up to a second after the
     * carrier comes).
     */
    public boolean isRunning(Bound socket, String ifname) throws ErrnoException {
        final byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
        if (name.length >= IFNAMSIZ) {
            throw new ErrnoException("ioctl SIOCGIFFLAGS", ifname, 0, "interface name longer than "
                    + (IFNAMSIZ - 1) + " bytes");
        }
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long ifreq = scratch.allocate(IFREQ_BYTES);
            memory.putByteArray(ifreq, name, 0, name.length);
            if (c.callInt(IOCTL, socket.fd(), SIOCGIFFLAGS, ifreq) != 0) {
                throw c.failure("ioctl SIOCGIFFLAGS", ifname);
            }
            return (memory.getShort(ifreq + IFNAMSIZ) & IFF_RUNNING) != 0;
        }
    }

    public void close(Bound socket) {
        c.call(CLOSE, socket.fd());
    }

    private long linkAddress(NativeCalls.Scratch scratch, int ifindex) {
        final long sa = scratch.allocate(SOCKADDR_LL_BYTES);
        memory.putShort(sa, (short) AF_PACKET);
        memory.putShort(sa + SLL_PROTOCOL, (short) htons(ETH_P_IP));
        memory.putInt(sa + SLL_IFINDEX, ifindex);
        return sa;
    }

    /** The protocol in network byte order, as socket(2) and sockaddr_ll want it (little-endian hosts). */
    private static int htons(int value) {
        return ((value & 0xff) << 8) | ((value >>> 8) & 0xff);
    }

}
