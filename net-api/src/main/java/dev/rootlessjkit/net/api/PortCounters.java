package dev.rootlessjkit.net.api;

/**
 * What a published port has carried, as read at one moment: the {@code counters} of {@code GET /v1/ports} and,
 * summed over a driver's ports, of {@code GET /v1/info}. Exactly one of {@code tcp} and {@code udp} is set for a
 * port; a driver's total has both. Counters only grow, except the gauges {@code active} and {@code flows}.
 */
public record PortCounters(Tcp tcp, Udp udp) {
    /** Nothing yet, for a port of the given protocol. */
    public static PortCounters zero(boolean tcp) {
        return tcp ? new PortCounters(Tcp.ZERO, null) : new PortCounters(null, Udp.ZERO);
    }

    /** Both protocols at zero: the total of a driver with no ports yet. */
    public static final PortCounters NONE = new PortCounters(Tcp.ZERO, Udp.ZERO);

    /** The sum, protocol by protocol. */
    public PortCounters plus(PortCounters o) {
        return new PortCounters(tcp == null ? o.tcp : o.tcp == null ? tcp : tcp.plus(o.tcp),
                udp == null ? o.udp : o.udp == null ? udp : udp.plus(o.udp));
    }

    /** As a removed port leaves them in its driver's total: what it carried, nothing active. */
    public PortCounters ended() {
        return new PortCounters(tcp == null ? null : tcp.ended(), udp == null ? null : udp.ended());
    }

    /**
     * A TCP port's connections: every accepted connection is either still being dialled inside, relayed
     * ({@code active}), ended after it was relayed, or {@code failed}.
     *
     * @param accepted       connections accepted from clients on the host
     * @param active         connections relayed now
     * @param failed         accepted connections that were never relayed, by cause in {@code failures}
     * @param bytesToChild   bytes read from clients and passed into the namespace
     * @param bytesFromChild bytes read from the servers inside and passed back to clients
     */
    public record Tcp(long accepted, long active, long failed, DialFailures failures, long bytesToChild,
            long bytesFromChild) {
        static final Tcp ZERO = new Tcp(0, 0, 0, DialFailures.ZERO, 0, 0);

        Tcp plus(Tcp o) {
            return new Tcp(accepted + o.accepted, active + o.active, failed + o.failed, failures.plus(o.failures),
                    bytesToChild + o.bytesToChild, bytesFromChild + o.bytesFromChild);
        }

        Tcp ended() {
            return new Tcp(accepted, 0, failed, failures, bytesToChild, bytesFromChild);
        }
    }

    /**
     * Why accepted connections were not relayed.
     *
     * @param refused     nothing listens on the port inside (ECONNREFUSED, or the server's RST)
     * @param timeout     the server inside did not answer (ETIMEDOUT, or every SYN unanswered)
     * @param unreachable no route to the address inside (EHOSTUNREACH, ENETUNREACH)
     * @param limit       refused by a bound of ours: the connection budget, the flow table, dials in progress
     * @param other       anything else: the client left before the dial completed, the port was removed, the
     *                    child half went away, an fd could not be had
     */
    public record DialFailures(long refused, long timeout, long unreachable, long limit, long other) {
        static final DialFailures ZERO = new DialFailures(0, 0, 0, 0, 0);

        DialFailures plus(DialFailures o) {
            return new DialFailures(refused + o.refused, timeout + o.timeout, unreachable + o.unreachable,
                    limit + o.limit, other + o.other);
        }
    }

    /**
     * A UDP port's datagrams, counted as received: those not passed on are also in {@code dropped}.
     *
     * @param flows              client flows now
     * @param datagramsToChild   datagrams received from clients
     * @param bytesToChild       their payload bytes
     * @param datagramsFromChild datagrams received from inside for clients
     * @param bytesFromChild     their payload bytes
     * @param dropped            datagrams of either way not passed on, by cause in {@code drops}
     */
    public record Udp(long flows, long datagramsToChild, long bytesToChild, long datagramsFromChild,
            long bytesFromChild, long dropped, Drops drops) {
        static final Udp ZERO = new Udp(0, 0, 0, 0, 0, 0, Drops.ZERO);

        Udp plus(Udp o) {
            return new Udp(flows + o.flows, datagramsToChild + o.datagramsToChild, bytesToChild + o.bytesToChild,
                    datagramsFromChild + o.datagramsFromChild, bytesFromChild + o.bytesFromChild,
                    dropped + o.dropped, drops.plus(o.drops));
        }

        Udp ended() {
            return new Udp(0, datagramsToChild, bytesToChild, datagramsFromChild, bytesFromChild, dropped, drops);
        }
    }

    /**
     * Why datagrams were not passed on.
     *
     * @param queueFull     a queue was full: the destination socket's send buffer, or the datagrams waiting for a
     *                      new flow's socket
     * @param flowTableFull no flow could be had for a new client (the table's bound, or its client's share)
     * @param failed        the kernel refused the send with another error, the flow's socket inside could not be
     *                      had, or the port was closing
     */
    public record Drops(long queueFull, long flowTableFull, long failed) {
        static final Drops ZERO = new Drops(0, 0, 0);

        Drops plus(Drops o) {
            return new Drops(queueFull + o.queueFull, flowTableFull + o.flowTableFull, failed + o.failed);
        }
    }
}
