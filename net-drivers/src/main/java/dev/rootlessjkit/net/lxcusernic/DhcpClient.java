package dev.rootlessjkit.net.lxcusernic;

import dev.rootlessjkit.net.Ipv4Network;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * A DHCPv4 client for one interface (RFC 2131, the parts a host on a LAN needs): DISCOVER, OFFER, REQUEST, ACK to
 * get a lease, and REQUEST, ACK to renew it. Every wait has a deadline: a missing server costs at most
 * {@code timeout}, a NAK restarts the exchange at most {@link #MAX_RESTARTS} times, and packets that are not the
 * answer it waits for (anything the link carries, malformed or not) are dropped one by one into a fixed buffer.
 * Every message asks for a broadcast answer: the interface has no address to take a unicast one at.
 */
final class DhcpClient {
    static final int MAX_RESTARTS = 3;
    /**
     * Every second, not RFC 2131's doubling: lxc-net's dnsmasq answers a DISCOVER for a new address only after its
     * ping check of the address has timed out (3 s), and then only to the next retransmission. Once a second
     * keeps that at about 3 s, where doubling (0, 1, 3, 7 s) often made it 7; on a local bridge it costs nothing.
     */
    private static final Duration RETRANSMIT = Duration.ofSeconds(1);
    /** Enough for any DHCP answer over an Ethernet MTU; longer packets are cut and then fail to parse. */
    private static final int BUFFER_BYTES = 2048;
    /** What RootlessKit assumes when the server names no lease time. */
    private static final long DEFAULT_LEASE_SECONDS = 3600;

    private final DhcpTransport transport;
    private final long hardwareAddress;
    private final IntSupplier transactionIds;
    private final Duration timeout;
    private final String clientId;
    private final byte[] buffer = new byte[BUFFER_BYTES];

    /**
     * @param hardwareAddress the interface's Ethernet address, 48 bits
     * @param transactionIds  a new xid per exchange (random, so that clients on the bridge do not collide)
     * @param timeout         how long one {@link #acquire} or {@link #renew} may take in all
     * @param clientId        what the server knows this client by instead of its hardware address, so that a
     *                        restart on a new veth (a new random address) finds its lease again; "" for none
     */
    DhcpClient(DhcpTransport transport, long hardwareAddress, IntSupplier transactionIds, Duration timeout,
            String clientId) {
        this.transport = transport;
        this.hardwareAddress = hardwareAddress;
        this.transactionIds = transactionIds;
        this.timeout = timeout;
        this.clientId = clientId;
    }

    /** Gets a lease from whichever server offers one first. */
    DhcpLease acquire() throws NetworkDriverException, IOException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        for (int attempt = 0; attempt <= MAX_RESTARTS; attempt++) {
            final int xid = transactionIds.getAsInt();
            final DhcpMessage offer = exchange(DhcpMessage.request(DhcpMessage.DISCOVER, xid, hardwareAddress, 0, 0,
                    0), Set.of(DhcpMessage.OFFER), deadline, "DHCPDISCOVER");
            final DhcpMessage reply = exchange(DhcpMessage.request(DhcpMessage.REQUEST, xid, hardwareAddress, 0,
                    offer.yourAddress(), offer.serverId()), Set.of(DhcpMessage.ACK, DhcpMessage.NAK), deadline,
                    "DHCPREQUEST for " + Ipv4Network.format(offer.yourAddress()));
            if (reply.type() == DhcpMessage.ACK) {
                return lease(reply);
            }
        }
        throw new NetworkDriverException("the DHCP server declined (DHCPNAK) every offered address, "
                + (MAX_RESTARTS + 1) + " times");
    }

    /** Extends {@code lease} (RFC 2131 REBINDING: to any server, as the answer must come by broadcast anyway). */
    DhcpLease renew(DhcpLease lease) throws NetworkDriverException, IOException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        final DhcpMessage reply = exchange(DhcpMessage.request(DhcpMessage.REQUEST, transactionIds.getAsInt(),
                hardwareAddress, lease.address(), 0, 0), Set.of(DhcpMessage.ACK, DhcpMessage.NAK), deadline,
                "DHCPREQUEST to renew " + Ipv4Network.format(lease.address()));
        if (reply.type() == DhcpMessage.NAK) {
            throw new NetworkDriverException("the DHCP server refused (DHCPNAK) to renew the lease of "
                    + Ipv4Network.format(lease.address()));
        }
        final DhcpLease renewed = lease(reply);
        if (renewed.address() != lease.address()) {
            throw new NetworkDriverException("the DHCP server moved the address from "
                    + Ipv4Network.format(lease.address()) + " to " + Ipv4Network.format(renewed.address()));
        }
        return renewed;
    }

    /** Sends {@code request} until an answer of one of {@code types} arrives, or the deadline passes. */
    private DhcpMessage exchange(DhcpMessage request, Set<Integer> types, long deadline, String what)
            throws NetworkDriverException, IOException {
        final byte[] packet = DhcpPacket.broadcast(request.encode(clientId));
        while (System.nanoTime() < deadline) {
            transport.send(packet);
            final long retransmitAt = Math.min(System.nanoTime() + RETRANSMIT.toNanos(), deadline);
            long left;
            while ((left = retransmitAt - System.nanoTime()) > 0) {
                final int length = transport.receive(buffer, (int) Math.max(1, Duration.ofNanos(left).toMillis()));
                if (length < 0) {
                    break;
                }
                final DhcpMessage answer = answer(length, request.xid(), types);
                if (answer != null) {
                    return answer;
                }
            }
        }
        throw new NetworkDriverException("no answer to " + what + " within " + timeout.toSeconds() + "s");
    }

    /** The received packet as the awaited answer, or null for anything else. */
    private DhcpMessage answer(int length, int xid, Set<Integer> types) {
        final int offset = DhcpPacket.payloadOffset(buffer, length);
        if (offset < 0) {
            return null;
        }
        final DhcpMessage message;
        try {
            message = DhcpMessage.parse(buffer, offset, DhcpPacket.payloadLength(buffer, offset));
        } catch (DhcpFormatException e) {
            return null;
        }
        final boolean ours = message.op() == DhcpMessage.BOOTREPLY && message.xid() == xid
                && message.hardwareAddress() == hardwareAddress && types.contains(message.type());
        // An offer or grant of no address is no answer.
        return ours && (message.type() == DhcpMessage.NAK || message.yourAddress() != 0) ? message : null;
    }

    private static DhcpLease lease(DhcpMessage ack) throws NetworkDriverException {
        final int prefix = DhcpMessage.prefixLength(ack.subnetMask());
        if (ack.subnetMask() == 0 || prefix < 1 || prefix > 30) {
            throw new NetworkDriverException("the DHCP server granted " + Ipv4Network.format(ack.yourAddress())
                    + " with no usable subnet mask (" + Ipv4Network.format(ack.subnetMask()) + ")");
        }
        if (ack.routers().isEmpty()) {
            throw new NetworkDriverException("the DHCP server granted " + Ipv4Network.format(ack.yourAddress())
                    + " but named no router");
        }
        if (ack.nameServers().isEmpty()) {
            throw new NetworkDriverException("the DHCP server granted " + Ipv4Network.format(ack.yourAddress())
                    + " but named no DNS server");
        }
        return new DhcpLease(ack.yourAddress(), prefix, ack.routers().get(0), ack.nameServers(), ack.serverId(),
                ack.leaseSeconds() < 0 ? DEFAULT_LEASE_SECONDS : ack.leaseSeconds());
    }
}
