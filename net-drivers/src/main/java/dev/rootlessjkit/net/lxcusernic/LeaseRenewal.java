package dev.rootlessjkit.net.lxcusernic;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.Ipv4Network;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.io.IOException;
import java.time.Duration;

/**
 * Keeps the child's DHCP lease, as RootlessKit's child does: renewed at half of what is left of it (RFC 2131's T1),
 * retried at half of the rest after a failure, never more often than {@link #MIN_WAIT}. It runs on a daemon
 * thread of the child JVM, for as long as that JVM stays (with --pidns or a port driver's child half); when the
 * JVM becomes CMD (exec) it ends with it, and lxc-net's dnsmasq, which pings an address before it offers it
 * again, leaves the namespace its address.
 */
final class LeaseRenewal implements Runnable {
    static final Duration MIN_WAIT = Duration.ofSeconds(30);

    /** One renewal exchange, run where the interface is (inside the namespace). */
    interface Renew {
        DhcpLease renew(DhcpLease lease) throws NetworkDriverException, IOException;
    }

    /** How the loop waits; tests pass one that does not. */
    interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final Renew renew;
    private final Sleeper sleeper;
    private final Log log;
    private DhcpLease lease;

    LeaseRenewal(DhcpLease lease, Renew renew, Sleeper sleeper, Log log) {
        this.lease = lease;
        this.renew = renew;
        this.sleeper = sleeper;
        this.log = log;
    }

    /** Starts the loop on a daemon thread, unless the lease is infinite. */
    static void start(DhcpLease lease, Renew renew, Log log) {
        if (lease.leaseSeconds() == DhcpLease.INFINITE) {
            return;
        }
        final Thread thread = new Thread(new LeaseRenewal(lease, renew, d -> Thread.sleep(d.toMillis()), log),
                "rootlessjkit-dhcp-renewal");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void run() {
        Duration left = Duration.ofSeconds(lease.leaseSeconds());
        try {
            while (true) {
                final Duration wait = max(left.dividedBy(2), MIN_WAIT);
                if (wait.compareTo(left) >= 0) {
                    log.warn("the DHCP lease of " + Ipv4Network.format(lease.address()) + " ends in "
                            + left.toSeconds() + "s and could not be renewed; the namespace keeps the address");
                    return;
                }
                sleeper.sleep(wait);
                left = left.minus(wait);
                try {
                    lease = renew.renew(lease);
                    left = Duration.ofSeconds(lease.leaseSeconds());
                    log.debug("DHCP lease of " + Ipv4Network.format(lease.address()) + " renewed for "
                            + lease.leaseSeconds() + "s");
                    if (lease.leaseSeconds() == DhcpLease.INFINITE) {
                        return;
                    }
                } catch (NetworkDriverException | IOException e) {
                    log.warn("renewing the DHCP lease of " + Ipv4Network.format(lease.address()) + " failed ("
                            + e.getMessage() + "); trying again within " + left.toSeconds() + "s");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
