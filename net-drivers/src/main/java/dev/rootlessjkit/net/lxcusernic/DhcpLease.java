package dev.rootlessjkit.net.lxcusernic;

import java.util.List;

/**
 * What a DHCPACK granted. Addresses are ints, most significant byte first.
 *
 * @param leaseSeconds how long the address is ours; {@link #INFINITE} for ever
 */
record DhcpLease(int address, int prefixLength, int router, List<Integer> nameServers, int serverId,
        long leaseSeconds) {
    static final long INFINITE = 0xffffffffL;

    DhcpLease {
        nameServers = List.copyOf(nameServers);
    }
}
