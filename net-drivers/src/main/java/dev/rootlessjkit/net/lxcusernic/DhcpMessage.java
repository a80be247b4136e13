package dev.rootlessjkit.net.lxcusernic;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A DHCPv4 message (RFC 2131, options of RFC 2132): what the client sends, and the fields of a server's answer it
 * uses. IPv4 addresses are ints, most significant byte first; 0 stands for "none". A parsed message keeps at most
 * {@link #MAX_ADDRESSES} routers and name servers: no list a server sends can grow what the client holds.
 *
 * @param op            1 for a client's request, 2 for a server's reply
 * @param xid           the transaction the message belongs to
 * @param flags         0x8000 asks the server to broadcast its answer
 * @param clientAddress ciaddr: the client's address while it renews a lease
 * @param yourAddress   yiaddr: the address the server offers or grants
 * @param hardwareAddress chaddr: the client's Ethernet address, 48 bits
 * @param type          option 53, one of the {@code DISCOVER}... constants
 * @param serverId      option 54
 * @param requestedAddress option 50
 * @param subnetMask    option 1
 * @param routers       option 3
 * @param nameServers   option 6
 * @param leaseSeconds  option 51, -1 when absent; 0xffffffff means infinite
 */
public record DhcpMessage(int op, int xid, int flags, int clientAddress, int yourAddress, long hardwareAddress,
        int type, int serverId, int requestedAddress, int subnetMask, List<Integer> routers,
        List<Integer> nameServers, long leaseSeconds) {
    public static final int BOOTREQUEST = 1;
    public static final int BOOTREPLY = 2;
    public static final int DISCOVER = 1;
    public static final int OFFER = 2;
    public static final int REQUEST = 3;
    public static final int ACK = 5;
    public static final int NAK = 6;
    public static final int FLAG_BROADCAST = 0x8000;
    public static final int MAX_ADDRESSES = 3;
    /** The fixed BOOTP part and the magic cookie: options start here. */
    static final int OPTIONS_OFFSET = 240;
    /** RFC 1542: relays and some servers drop BOOTP messages shorter than this. */
    private static final int MIN_LENGTH = 300;
    private static final int MAGIC_COOKIE = 0x63825363;
    /** An option's length is one byte: 63 addresses at most. */
    private static final int MAX_OPTION_ADDRESSES = 255 / 4;
    private static final int HTYPE_ETHERNET = 1;
    private static final int HLEN_ETHERNET = 6;
    private static final int CHADDR_OFFSET = 28;
    private static final int OPTION_PAD = 0;
    private static final int OPTION_SUBNET_MASK = 1;
    private static final int OPTION_ROUTER = 3;
    private static final int OPTION_DNS = 6;
    private static final int OPTION_REQUESTED_ADDRESS = 50;
    private static final int OPTION_LEASE_TIME = 51;
    private static final int OPTION_MESSAGE_TYPE = 53;
    private static final int OPTION_SERVER_ID = 54;
    private static final int OPTION_PARAMETER_REQUEST_LIST = 55;
    private static final int OPTION_CLIENT_ID = 61;
    static final int MAX_CLIENT_ID = 64;
    private static final int OPTION_END = 255;
    /** What the client asks for: subnet mask, router, DNS, lease time. */
    private static final byte[] PARAMETERS = {OPTION_SUBNET_MASK, OPTION_ROUTER, OPTION_DNS, OPTION_LEASE_TIME};

    public DhcpMessage {
        if (routers.size() > MAX_OPTION_ADDRESSES || nameServers.size() > MAX_OPTION_ADDRESSES) {
            throw new IllegalArgumentException("more addresses than one option holds");
        }
        routers = List.copyOf(routers);
        nameServers = List.copyOf(nameServers);
    }

    /** A client's message: DISCOVER, REQUEST for an offer (with server and address) or to renew (ciaddr). */
    static DhcpMessage request(int type, int xid, long hardwareAddress, int clientAddress, int requestedAddress,
            int serverId) {
        return new DhcpMessage(BOOTREQUEST, xid, FLAG_BROADCAST, clientAddress, 0, hardwareAddress, type, serverId,
                requestedAddress, 0, List.of(), List.of(), -1);
    }

    /** The message on the wire, padded to the BOOTP minimum. */
    public byte[] encode() {
        return encode("");
    }

    /**
     * The message with a client identifier (option 61, type 0: not a hardware address), up to
     * {@link #MAX_CLIENT_ID} ASCII characters; none when empty.
     */
    byte[] encode(String clientId) {
        if (clientId.length() > MAX_CLIENT_ID) {
            throw new IllegalArgumentException("client identifier longer than " + MAX_CLIENT_ID);
        }
        final ByteBuffer b = ByteBuffer.allocate(MIN_LENGTH + 64 + 4 * (routers.size() + nameServers.size())
                + clientId.length());
        b.put((byte) op).put((byte) HTYPE_ETHERNET).put((byte) HLEN_ETHERNET).put((byte) 0);
        b.putInt(xid).putShort((short) 0).putShort((short) flags);
        b.putInt(clientAddress).putInt(yourAddress).putInt(0).putInt(0);
        b.putShort((short) (hardwareAddress >>> 32)).putInt((int) hardwareAddress);
        b.position(OPTIONS_OFFSET - 4);
        b.putInt(MAGIC_COOKIE);
        b.put((byte) OPTION_MESSAGE_TYPE).put((byte) 1).put((byte) type);
        if (requestedAddress != 0) {
            b.put((byte) OPTION_REQUESTED_ADDRESS).put((byte) 4).putInt(requestedAddress);
        }
        if (serverId != 0) {
            b.put((byte) OPTION_SERVER_ID).put((byte) 4).putInt(serverId);
        }
        if (subnetMask != 0) {
            b.put((byte) OPTION_SUBNET_MASK).put((byte) 4).putInt(subnetMask);
        }
        putAddresses(b, OPTION_ROUTER, routers);
        putAddresses(b, OPTION_DNS, nameServers);
        if (leaseSeconds >= 0) {
            b.put((byte) OPTION_LEASE_TIME).put((byte) 4).putInt((int) leaseSeconds);
        }
        if (!clientId.isEmpty()) {
            b.put((byte) OPTION_CLIENT_ID).put((byte) (clientId.length() + 1)).put((byte) 0)
                    .put(clientId.getBytes(StandardCharsets.US_ASCII));
        }
        if (op == BOOTREQUEST) {
            b.put((byte) OPTION_PARAMETER_REQUEST_LIST).put((byte) PARAMETERS.length).put(PARAMETERS);
        }
        b.put((byte) OPTION_END);
        final byte[] out = new byte[Math.max(MIN_LENGTH, b.position())];
        System.arraycopy(b.array(), 0, out, 0, b.position());
        return out;
    }

    private static void putAddresses(ByteBuffer b, int option, List<Integer> addresses) {
        if (!addresses.isEmpty()) {
            b.put((byte) option).put((byte) (4 * addresses.size()));
            addresses.forEach(b::putInt);
        }
    }

    /**
     * Parses {@code length} bytes at {@code offset} of {@code data}, reading nothing outside them.
     *
     * @throws DhcpFormatException for anything but an Ethernet BOOTP message with the DHCP cookie and well-formed
     *                             options
     */
    public static DhcpMessage parse(byte[] data, int offset, int length) throws DhcpFormatException {
        if (offset < 0 || length < 0 || offset > data.length - length) {
            throw new DhcpFormatException("region outside the packet");
        }
        if (length < OPTIONS_OFFSET) {
            throw new DhcpFormatException("message of " + length + " bytes, shorter than a BOOTP header");
        }
        final ByteBuffer b = ByteBuffer.wrap(data, offset, length).slice();
        final int op = b.get(0) & 0xff;
        if (b.get(1) != HTYPE_ETHERNET || b.get(2) != HLEN_ETHERNET) {
            throw new DhcpFormatException("not an Ethernet message");
        }
        if (b.getInt(OPTIONS_OFFSET - 4) != MAGIC_COOKIE) {
            throw new DhcpFormatException("no DHCP magic cookie");
        }
        final long mac = ((long) (b.getShort(CHADDR_OFFSET) & 0xffff) << 32) | (b.getInt(CHADDR_OFFSET + 2)
                & 0xffffffffL);
        int type = 0;
        int serverId = 0;
        int requested = 0;
        int mask = 0;
        long lease = -1;
        List<Integer> routers = List.of();
        List<Integer> dns = List.of();
        int i = OPTIONS_OFFSET;
        while (i < length) {
            final int code = b.get(i++) & 0xff;
            if (code == OPTION_END) {
                break;
            }
            if (code == OPTION_PAD) {
                continue;
            }
            if (i >= length) {
                throw new DhcpFormatException("option " + code + " without a length");
            }
            final int len = b.get(i++) & 0xff;
            if (len > length - i) {
                throw new DhcpFormatException("option " + code + " of " + len + " bytes runs past the message");
            }
            switch (code) {
                case OPTION_MESSAGE_TYPE -> type = byteOption(b, i, len, code);
                case OPTION_SERVER_ID -> serverId = addressOption(b, i, len, code);
                case OPTION_REQUESTED_ADDRESS -> requested = addressOption(b, i, len, code);
                case OPTION_SUBNET_MASK -> mask = addressOption(b, i, len, code);
                case OPTION_LEASE_TIME -> lease = addressOption(b, i, len, code) & 0xffffffffL;
                case OPTION_ROUTER -> routers = addresses(b, i, len, code);
                case OPTION_DNS -> dns = addresses(b, i, len, code);
                default -> {
                    // Options the client does not use are skipped.
                }
            }
            i += len;
        }
        return new DhcpMessage(op, b.getInt(4), b.getShort(10) & 0xffff, b.getInt(12), b.getInt(16), mac, type,
                serverId, requested, mask, routers, dns, lease);
    }

    private static int byteOption(ByteBuffer b, int at, int len, int code) throws DhcpFormatException {
        if (len != 1) {
            throw new DhcpFormatException("option " + code + " of " + len + " bytes, not 1");
        }
        return b.get(at) & 0xff;
    }

    private static int addressOption(ByteBuffer b, int at, int len, int code) throws DhcpFormatException {
        if (len != 4) {
            throw new DhcpFormatException("option " + code + " of " + len + " bytes, not 4");
        }
        return b.getInt(at);
    }

    private static List<Integer> addresses(ByteBuffer b, int at, int len, int code) throws DhcpFormatException {
        if (len == 0 || len % 4 != 0) {
            throw new DhcpFormatException("option " + code + " of " + len + " bytes, not a list of addresses");
        }
        final List<Integer> list = new ArrayList<>(MAX_ADDRESSES);
        for (int k = 0; k < len / 4 && k < MAX_ADDRESSES; k++) {
            list.add(b.getInt(at + 4 * k));
        }
        return list;
    }

    /** The prefix length of a contiguous subnet mask, or -1 when the mask has holes. */
    public static int prefixLength(int mask) {
        final int prefix = Integer.bitCount(mask);
        return mask == (prefix == 0 ? 0 : -1 << (32 - prefix)) ? prefix : -1;
    }
}
