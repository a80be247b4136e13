package dev.rootlessjkit.net.usernet;

/** What the stack counts: traffic, and every reason a frame was dropped instead of thrown. */
public enum Counter {
    FRAMES_IN,
    FRAMES_OUT,
    FRAMES_OUT_NO_GUEST_MAC,
    /** Frames the TAP reader dropped because the stack's loop fell behind (or too short for their header). */
    TAP_READER_DROPS,
    /** Frames whose TAP write failed (the guest's queue was full). */
    TAP_WRITE_ERRORS,
    ETH_TOO_SHORT,
    ETH_NOT_FOR_US,
    ETH_UNSUPPORTED_TYPE,
    ARP_MALFORMED,
    ARP_REPLIES,
    ARP_IGNORED,
    IP_TRUNCATED,
    IP_BAD_VERSION,
    IP_BAD_HEADER_LENGTH,
    IP_BAD_TOTAL_LENGTH,
    IP_BAD_CHECKSUM,
    IP_BAD_SOURCE,
    IP_UNSUPPORTED_PROTOCOL,
    /** IPv6 packets whose payload length is 0 (a jumbogram, which a 65520-byte MTU never needs). */
    IPV6_BAD_PAYLOAD_LENGTH,
    /** IPv6 extension headers that are truncated, too many, misplaced, or a routing header still to be routed. */
    IPV6_BAD_EXTENSION_HEADERS,
    /** UDP datagrams for the guest larger than one IPv6 packet of its MTU: dropped (IPv6 is not fragmented here). */
    IPV6_TOO_BIG,
    IP_FRAGMENTS,
    IP_REASSEMBLED,
    IP_FRAGMENTS_DROPPED,
    ICMP_MALFORMED,
    ICMP_ECHO_REPLIES,
    ICMP_UNSUPPORTED,
    /** Echo requests to other hosts that went out through a ping socket, and the replies brought back. */
    ICMP_ECHO_FORWARDED,
    ICMP_ECHO_FORWARDED_REPLIES,
    /** The host refused a ping socket (net.ipv4.ping_group_range does not cover our group). */
    ICMP_ECHO_NOT_PERMITTED,
    ICMP_ECHO_FLOW_LIMIT,
    ICMP_ECHO_SEND_ERRORS,
    ICMP_UNREACHABLE_SENT,
    ICMPV6_MALFORMED,
    ICMPV6_ECHO_REPLIES,
    /** ICMPv6 messages the stack has no use for (MLD reports, advertisements from the guest, errors). */
    ICMPV6_IGNORED,
    ICMPV6_UNREACHABLE_SENT,
    NDP_MALFORMED,
    NDP_NEIGHBOR_ADVERTISEMENTS,
    NDP_ROUTER_ADVERTISEMENTS,
    /** Neighbor solicitations for addresses that are not the stack's (the guest's duplicate address detection). */
    NDP_NOT_OURS,
    UDP_MALFORMED,
    UDP_BAD_CHECKSUM,
    UDP_FLOWS_OPENED,
    UDP_FLOW_LIMIT,
    UDP_SEND_ERRORS,
    UDP_REFUSED,
    DNS_QUERIES,
    DNS_NO_UPSTREAM,
    TCP_MALFORMED,
    TCP_BAD_CHECKSUM,
    TCP_FLOWS_OPENED,
    TCP_FLOW_LIMIT,
    TCP_CONNECT_REFUSED,
    /** Host connects that found no route or timed out: answered with ICMP unreachable instead of a RST. */
    TCP_CONNECT_UNREACHABLE,
    TCP_RST_SENT,
    TCP_RST_RECEIVED,
    TCP_NO_FLOW,
    TCP_RETRANSMITS,
    TCP_OUT_OF_ORDER,
    TCP_OUT_OF_WINDOW,
    TCP_ABORTED_TIMEOUT,
    /** Connections reset after the idle timeout. */
    TCP_IDLE_TIMEOUTS,
    /** Connections reset, and UDP flows dropped, to make room in a full flow table (or a peer's full share). */
    TCP_FLOWS_EVICTED,
    UDP_FLOWS_EVICTED,
    /** A host socket could not be opened (EMFILE and the like): the guest got a RST, ICMP error or SERVFAIL. */
    HOST_SOCKET_FAILURES,
    /** UDP datagrams dropped because the host socket's send buffer was full (a slow or unreachable peer). */
    UDP_HOST_BACKLOG_DROPS,
    /** DNS answers that matched no outstanding query (wrong ID, question, server or port): dropped. */
    DNS_UNMATCHED_ANSWERS,
    /** DNS queries too long or with a malformed question section: dropped. */
    DNS_MALFORMED,
    /** DNS queries dropped because too many were outstanding. */
    DNS_PENDING_LIMIT
}
