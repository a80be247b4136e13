package dev.rootlessjkit.linux;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * IPv6 address and default route of an interface of the calling thread's network namespace over rtnetlink, as
 * {@code ip -6 addr add A/P dev DEV nodad} and {@code ip -6 route add default via G dev DEV} do. A class of its own
 * so that the IPv4 set-up calls in {@link Linux} stay as they are. Not thread-safe.
 */
public final class Ipv6Addressing implements AutoCloseable {
    private static final int NETLINK_ROUTE = 0;
    private static final byte AF_INET6 = 10;
    private static final short RTM_GETLINK = 18;
    private static final short RTM_NEWADDR = 20;
    private static final short RTM_NEWROUTE = 24;
    private static final short IFLA_IFNAME = 3;
    private static final short IFA_ADDRESS = 1;
    private static final short IFA_FLAGS = 8;
    /** No duplicate address detection: the address is usable at once, and nobody else is on a TAP link. */
    private static final int IFA_F_NODAD = 0x02;
    private static final short RTA_GATEWAY = 5;
    private static final short RTA_OIF = 4;
    private static final byte RT_TABLE_MAIN = (byte) 254;
    private static final byte RTPROT_BOOT = 3;
    private static final byte RTN_UNICAST = 1;
    private static final short CREATE = (short) (Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK | Netlink.NLM_F_CREATE
            | Netlink.NLM_F_EXCL);

    private final Netlink netlink;

    private Ipv6Addressing(Netlink netlink) {
        this.netlink = netlink;
    }

    /** A route netlink socket in the calling thread's network namespace. */
    public static Ipv6Addressing open() throws ErrnoException {
        return new Ipv6Addressing(Netlink.open(NETLINK_ROUTE, "NETLINK_ROUTE"));
    }

    /** {@code ip -6 addr add ADDRESS/PREFIX dev IFNAME nodad}. */
    public void addAddress(String ifname, byte[] address, int prefixLength) throws ErrnoException {
        requireIpv6(address, ifname);
        final int index = index(ifname);
        final ByteBuffer b = netlink.message(RTM_NEWADDR, CREATE, 8 + 20 + 8);
        b.put(AF_INET6).put((byte) prefixLength).put((byte) IFA_F_NODAD).put((byte) 0).putInt(index);
        b.putShort((short) 20).putShort(IFA_ADDRESS).put(address);
        b.putShort((short) 8).putShort(IFA_FLAGS).putInt(IFA_F_NODAD);
        netlink.request(b, "ip -6 addr add " + format(address) + "/" + prefixLength + " dev " + ifname);
    }

    /** {@code ip -6 route add default via GATEWAY dev IFNAME}. */
    public void addDefaultRoute(String ifname, byte[] gateway) throws ErrnoException {
        requireIpv6(gateway, ifname);
        final int index = index(ifname);
        final ByteBuffer b = netlink.message(RTM_NEWROUTE, CREATE, 12 + 20 + 8);
        b.put(AF_INET6).put((byte) 0).put((byte) 0).put((byte) 0)
                .put(RT_TABLE_MAIN).put(RTPROT_BOOT).put((byte) 0).put(RTN_UNICAST).putInt(0);
        b.putShort((short) 20).putShort(RTA_GATEWAY).put(gateway);
        b.putShort((short) 8).putShort(RTA_OIF).putInt(index);
        netlink.request(b, "ip -6 route add default via " + format(gateway) + " dev " + ifname);
    }

    /** The interface's index, asked of the kernel by name (RTM_GETLINK). */
    private int index(String ifname) throws ErrnoException {
        final byte[] name = (ifname + "\0").getBytes(StandardCharsets.US_ASCII);
        final int attribute = 4 + name.length;
        final ByteBuffer b = netlink.message(RTM_GETLINK, Netlink.NLM_F_REQUEST, 16 + ((attribute + 3) & ~3));
        b.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(0).putInt(0).putInt(0);
        b.putShort((short) attribute).putShort(IFLA_IFNAME).put(name);
        final Netlink.Reply reply = netlink.request(b, "ip link show " + ifname);
        return reply.payload().getInt(4);
    }

    private static void requireIpv6(byte[] address, String ifname) throws ErrnoException {
        if (address.length != 16) {
            throw new ErrnoException("netlink", ifname, 22, "not an IPv6 address");
        }
    }

    private static String format(byte[] address) {
        final StringBuilder s = new StringBuilder();
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                s.append(':');
            }
            s.append(Integer.toHexString(((address[i] & 0xff) << 8) | (address[i + 1] & 0xff)));
        }
        return s.toString();
    }

    @Override
    public void close() {
        netlink.close();
    }
}
