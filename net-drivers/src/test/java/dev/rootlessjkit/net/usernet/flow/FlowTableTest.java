package dev.rootlessjkit.net.usernet.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlowTableTest {
    private static final long SECOND = 1_000_000_000L;

    /** A flow that may be ended once idle for a second. */
    private static final class Flow extends FlowEntry {
        Flow(int port, Object source, Object destination, long now) {
            super(FlowKey.ipv4(0x0a000264, port, 0x0a000202, 80), source, destination, now);
        }

        @Override
        protected boolean evictable(long now) {
            return now - lastActive >= SECOND;
        }
    }

    private final List<Flow> evicted = new ArrayList<>();

    private FlowTable<Flow> table(int capacity, int perSource, int perDestination, boolean evictActive) {
        List<Flow> sink = evicted;
        FlowTable<Flow>[] self = new FlowTable[1];
        self[0] = new FlowTable<>(capacity, perSource, perDestination, evictActive, f -> {
            sink.add(f);
            self[0].remove(f);
        });
        return self[0];
    }

    private static Flow open(FlowTable<Flow> t, int port, Object source, Object destination, long now) {
        if (!t.admit(source, destination, now)) {
            return null;
        }
        Flow f = new Flow(port, source, destination, now);
        t.put(f);
        return f;
    }

    @Test
    void aPeerAtItsShareLosesItsOwnOldestIdleFlowAndOthersAreUntouched() {
        FlowTable<Flow> t = table(100, 100, 3, false);
        Flow a1 = open(t, 1, "guest", "A", 0);
        open(t, 2, "guest", "A", 0);
        open(t, 3, "guest", "A", 0);
        Flow b = open(t, 4, "guest", "B", 0);
        assertNull(open(t, 5, "guest", "A", SECOND / 2), "nothing of A's is idle yet: refused");
        assertEquals(4, t.size());
        assertTrue(open(t, 6, "guest", "B", SECOND / 2) != null, "another destination is not affected");

        Flow a4 = open(t, 7, "guest", "A", 2 * SECOND);
        assertTrue(a4 != null);
        assertEquals(List.of(a1), evicted, "the oldest idle flow of A made room");
        assertTrue(t.contains(b.flowKey()));
    }

    @Test
    void recentlyActiveFlowsAreSkippedForIdleOnes() {
        FlowTable<Flow> t = table(3, 3, 3, false);
        Flow f1 = open(t, 1, "s", "d", 0);
        Flow f2 = open(t, 2, "s", "d", 0);
        Flow f3 = open(t, 3, "s", "d", 0);
        f1.touch(5 * SECOND);
        assertTrue(open(t, 4, "s", "d", 5 * SECOND) != null);
        assertEquals(List.of(f2), evicted, "the oldest flow was active: the next oldest idle one goes");
        assertTrue(t.contains(f1.flowKey()));
        assertTrue(t.contains(f3.flowKey()));
    }

    @Test
    void udpStyleTablesEndTheOldestEvenWhenAllAreActive() {
        FlowTable<Flow> t = table(2, 2, 2, true);
        Flow f1 = open(t, 1, "s", "d", 0);
        open(t, 2, "s", "d", 0);
        assertTrue(open(t, 3, "s", "d", 0) != null);
        assertEquals(List.of(f1), evicted);
        assertEquals(2, t.size());
    }

    @Test
    void manyFlowsOfOneSourceCannotTakeTheTable() {
        FlowTable<Flow> t = table(1000, 250, 1000, true);
        for (int i = 0; i < 22_000; i++) {
            assertTrue(open(t, i, "flooder", "d", i) != null);
        }
        assertEquals(250, t.size(), "the flooder keeps to its quarter");
        for (int i = 0; i < 20; i++) {
            assertTrue(open(t, 30_000 + i, "other" + i, "d", 22_000) != null, "fresh clients get in");
        }
        assertEquals(21_750, evicted.size());
    }

    @Test
    void keysAreAddressFamilyNeutral() {
        FlowKey v4 = FlowKey.ipv4(0x0a000264, 1000, 0x0a000202, 80);
        assertEquals(v4, new FlowKey(0, 0xffff_0a00_0264L, 1000, 0, 0xffff_0a00_0202L, 80));
        assertNotEquals(v4, new FlowKey(0xfd00_0000_0000_0000L, 0x100, 1000, 0, 0xffff_0a00_0202L, 80));
        assertEquals(v4.peerEndpoint(), FlowKey.ipv4(0x0a000265, 2000, 0x0a000202, 80).peerEndpoint());
        assertFalse(v4.guestAddress().equals(v4.peerEndpoint()));
    }
}
