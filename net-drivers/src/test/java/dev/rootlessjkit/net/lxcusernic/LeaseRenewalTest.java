package dev.rootlessjkit.net.lxcusernic;

import static dev.rootlessjkit.net.lxcusernic.DhcpMessageTest.CLIENT;
import static dev.rootlessjkit.net.lxcusernic.DhcpMessageTest.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeaseRenewalTest {
    private static final Log LOG = new Log("test", false);

    private static DhcpLease lease(long seconds) {
        return new DhcpLease(CLIENT, 24, SERVER, List.of(SERVER), SERVER, seconds);
    }

    /** Records the waits and ends the loop (as an interrupt would) at the {@code stopAt}-th one. */
    private static LeaseRenewal.Sleeper recording(List<Duration> waits, int stopAt) {
        return d -> {
            if (waits.size() == stopAt) {
                throw new InterruptedException();
            }
            waits.add(d);
        };
    }

    @Test
    void renewsAtHalfOfTheLease() {
        final List<Duration> waits = new ArrayList<>();
        final List<DhcpLease> renewed = new ArrayList<>();
        new LeaseRenewal(lease(600), l -> {
            renewed.add(l);
            return lease(600);
        }, recording(waits, 3), LOG).run();
        assertEquals(List.of(Duration.ofSeconds(300), Duration.ofSeconds(300), Duration.ofSeconds(300)), waits);
        assertEquals(3, renewed.size());
        Thread.interrupted();
    }

    @Test
    void failuresRetryAtHalfOfTheRestThenGiveUpBeforeTheEnd() {
        final List<Duration> waits = new ArrayList<>();
        final int[] attempts = {0};
        new LeaseRenewal(lease(120), l -> {
            attempts[0]++;
            throw new NetworkDriverException("no answer");
        }, recording(waits, 100), LOG).run();
        assertEquals(List.of(Duration.ofSeconds(60), Duration.ofSeconds(30)), waits);
        assertEquals(2, attempts[0]);
    }

    @Test
    void anInfiniteLeaseEndsTheLoop() {
        final List<Duration> waits = new ArrayList<>();
        new LeaseRenewal(lease(600), l -> lease(DhcpLease.INFINITE), recording(waits, 100), LOG).run();
        assertEquals(List.of(Duration.ofSeconds(300)), waits);
    }
}
