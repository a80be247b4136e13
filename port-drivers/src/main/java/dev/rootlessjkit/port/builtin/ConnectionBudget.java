package dev.rootlessjkit.port.builtin;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * How many TCP connections the builtin driver relays at once, in all and per client address. Each one holds
 * descriptors in the parent (the client's socket and the one dialled inside), so without a cap one local user who
 * holds connections open exhausts the parent's RLIMIT_NOFILE, and with it the API, the network driver and every
 * other port. Beyond a cap the client is reset at once rather than left waiting in the backlog for a descriptor.
 * Thread-safe: every port's listener shares the driver's one budget.
 */
final class ConnectionBudget {
    /** The client's socket and the socket from inside. */
    static final int FDS_PER_CONNECTION = 2;
    /**
     * Descriptors kept for everything else, at most half of the limit: the JVM's own (jars, epoll and event fds),
     * the API server and its clients, the network driver's flows and helpers, the pipes to the child.
     */
    static final long MAX_RESERVED_FDS = 512;
    /** A budget never below this, so a tiny limit still leaves working ports (accept then backs off on EMFILE). */
    static final int MIN_CONNECTIONS = 16;
    static final int MAX_CONNECTIONS = 1 << 20;

    private final int capacity;
    private final int perClient;
    private final Map<InetAddress, Integer> byClient = new HashMap<>();
    private int total;

    ConnectionBudget(int capacity, int perClient) {
        if (capacity < 1 || perClient < 1) {
            throw new IllegalArgumentException("connection caps must be positive");
        }
        this.capacity = capacity;
        this.perClient = perClient;
    }

    /**
     * Sized from the soft RLIMIT_NOFILE: half of what is left after the reserve, since a network driver in the same
     * process sizes its flow tables from the same limit; one client address may hold a quarter, so that clients
     * from elsewhere still get in while one holds its share (all local clients of a 127.0.0.1 port are one address).
     */
    static ConnectionBudget forOpenFiles(long softLimit) {
        final long connections = halfOfUnreserved(softLimit) / FDS_PER_CONNECTION;
        final int capacity = (int) Math.max(MIN_CONNECTIONS, Math.min(MAX_CONNECTIONS, connections));
        return new ConnectionBudget(capacity, Math.max(1, capacity / 4));
    }

    /**
     * Half of the descriptors left after the reserve: the relays' sockets take one half, their splice pipes
     * ({@link TcpRelays#forOpenFiles}) the other.
     */
    static long halfOfUnreserved(long softLimit) {
        return (softLimit - Math.min(MAX_RESERVED_FDS, softLimit / 2)) / 2;
    }

    int capacity() {
        return capacity;
    }

    int perClient() {
        return perClient;
    }

    /** Takes a slot for a connection of {@code client}; false (nothing taken) when a cap is reached. */
    synchronized boolean admit(InetAddress client) {
        final int held = byClient.getOrDefault(client, 0);
        if (total >= capacity || held >= perClient) {
            return false;
        }
        byClient.put(client, held + 1);
        total++;
        return true;
    }

    /** Gives back a slot that {@link #admit} took. */
    synchronized void release(InetAddress client) {
        final Integer held = byClient.get(client);
        if (held == null) {
            throw new IllegalStateException("no connection of " + client + " to release");
        }
        if (held == 1) {
            byClient.remove(client);
        } else {
            byClient.put(client, held - 1);
        }
        total--;
    }

    synchronized int inUse() {
        return total;
    }
}
