package dev.rootlessjkit.linux;

import java.nio.charset.StandardCharsets;
import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

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
    private static final int EINTR = Errno.EINTR.intValue();
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

    private final PacketLib lib;
    private final Runtime runtime;

    private PacketSockets(PacketLib lib) {
        this.lib = lib;
        this.runtime = Runtime.getRuntime(lib);
    }

    public static PacketSockets load() {
        return new PacketSockets(LibraryLoader.create(PacketLib.class).failImmediately().load("c"));
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
        final int ifindex = lib.if_nametoindex(ifname);
        if (ifindex == 0) {
            throw error("if_nametoindex", ifname);
        }
        final int fd = lib.socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
        if (fd < 0) {
            throw error("socket", "AF_PACKET " + ifname);
        }
        boolean ok = false;
        try {
            final Pointer sa = linkAddress(ifindex);
            if (lib.bind(fd, sa, SOCKADDR_LL_BYTES) != 0) {
                throw error("bind", "AF_PACKET " + ifname);
            }
            // A bound packet socket's own address holds the interface's hardware address.
            final Pointer name = Memory.allocateDirect(runtime, SOCKADDR_LL_BYTES, true);
            final Pointer len = Memory.allocateDirect(runtime, 4, true);
            len.putInt(0, SOCKADDR_LL_BYTES);
            if (lib.getsockname(fd, name, len) != 0) {
                throw error("getsockname", "AF_PACKET " + ifname);
            }
            if ((name.getByte(SLL_HALEN) & 0xff) != ETHER_ADDR_LEN) {
                throw new ErrnoException("getsockname", ifname, 0, "not an Ethernet interface (hardware address of "
                        + (name.getByte(SLL_HALEN) & 0xff) + " bytes)");
            }
            final byte[] mac = new byte[ETHER_ADDR_LEN];
            name.get(SLL_ADDR, mac, 0, ETHER_ADDR_LEN);
            ok = true;
            return new Bound(fd, ifindex, mac);
        } finally {
            if (!ok) {
                lib.close(fd);
            }
        }
    }

    /** Sends one IPv4 packet (from its header on) to the Ethernet broadcast address. */
    public void sendBroadcast(Bound socket, byte[] packet) throws ErrnoException {
        final Pointer sa = linkAddress(socket.ifindex());
        sa.putByte(SLL_HALEN, (byte) ETHER_ADDR_LEN);
        for (int i = 0; i < ETHER_ADDR_LEN; i++) {
            sa.putByte(SLL_ADDR + i, (byte) 0xff);
        }
        final Pointer buf = Memory.allocateDirect(runtime, packet.length);
        buf.put(0, packet, 0, packet.length);
        while (lib.sendto(socket.fd(), buf, packet.length, 0, sa, SOCKADDR_LL_BYTES) < 0) {
            if (runtime.getLastError() != EINTR) {
                throw error("sendto", "AF_PACKET ifindex " + socket.ifindex());
            }
        }
    }

    /**
     * Receives one IPv4 packet into {@code into} (a longer one is cut to its length), waiting at most
     * {@code timeoutMillis}; the number of bytes, or -1 when none came in time.
     */
    public int receive(Bound socket, byte[] into, int timeoutMillis) throws ErrnoException {
        final Pointer pollfd = Memory.allocateDirect(runtime, 8, true);
        pollfd.putInt(0, socket.fd());
        pollfd.putShort(4, POLLIN);
        int ready;
        while ((ready = lib.poll(pollfd, 1, timeoutMillis)) < 0) {
            if (runtime.getLastError() != EINTR) {
                throw error("poll", "AF_PACKET ifindex " + socket.ifindex());
            }
        }
        if (ready == 0) {
            return -1;
        }
        final Pointer buf = Memory.allocateDirect(runtime, into.length);
        long n;
        while ((n = lib.recv(socket.fd(), buf, into.length, 0)) < 0) {
            if (runtime.getLastError() != EINTR) {
                throw error("recv", "AF_PACKET ifindex " + socket.ifindex());
            }
        }
        buf.get(0, into, 0, (int) n);
        return (int) n;
    }

    /**
     * Whether the interface is operational (IFF_RUNNING): its link is up and the kernel has given it its queueing
     * discipline. Until then it drops what is sent (the kernel's link watch does that up to a second after the
     * carrier comes).
     */
    public boolean isRunning(Bound socket, String ifname) throws ErrnoException {
        final Pointer ifreq = Memory.allocateDirect(runtime, IFREQ_BYTES, true);
        final byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
        if (name.length >= IFNAMSIZ) {
            throw new ErrnoException("ioctl SIOCGIFFLAGS", ifname, 0, "interface name longer than "
                    + (IFNAMSIZ - 1) + " bytes");
        }
        ifreq.put(0, name, 0, name.length);
        if (lib.ioctl(socket.fd(), SIOCGIFFLAGS, ifreq) != 0) {
            throw error("ioctl SIOCGIFFLAGS", ifname);
        }
        return (ifreq.getShort(IFNAMSIZ) & IFF_RUNNING) != 0;
    }

    public void close(Bound socket) {
        lib.close(socket.fd());
    }

    private Pointer linkAddress(int ifindex) {
        final Pointer sa = Memory.allocateDirect(runtime, SOCKADDR_LL_BYTES, true);
        sa.putShort(0, (short) AF_PACKET);
        sa.putShort(SLL_PROTOCOL, (short) htons(ETH_P_IP));
        sa.putInt(SLL_IFINDEX, ifindex);
        return sa;
    }

    /** The protocol in network byte order, as socket(2) and sockaddr_ll want it (little-endian hosts). */
    private static int htons(int value) {
        return ((value & 0xff) << 8) | ((value >>> 8) & 0xff);
    }

    private ErrnoException error(String call, String subject) {
        final int errno = runtime.getLastError();
        return new ErrnoException(call, subject, errno, lib.strerror(errno));
    }
}
