package dev.rootlessjkit.net.usernet.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.net.usernet.Timers;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetransmitTimerTest {
    private static final long MS = 1_000_000L;

    /** A clock the test moves; counts the tasks scheduled, to show the timer does not schedule one per restart. */
    private static final class Clock implements Timers {
        long now = 5_000 * MS;
        final List<long[]> due = new ArrayList<>();
        final List<Runnable> tasks = new ArrayList<>();
        int scheduled;

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public Timeout schedule(Runnable task, long delayNanos) {
            scheduled++;
            long[] at = {now + delayNanos};
            due.add(at);
            tasks.add(task);
            return () -> at[0] = Long.MAX_VALUE;
        }

        void advance(long nanos) {
            long target = now + nanos;
            while (true) {
                int next = -1;
                for (int i = 0; i < due.size(); i++) {
                    if (due.get(i)[0] <= target && (next < 0 || due.get(i)[0] < due.get(next)[0])) {
                        next = i;
                    }
                }
                if (next < 0) {
                    break;
                }
                now = due.get(next)[0];
                due.remove(next);
                tasks.remove(next).run();
            }
            now = target;
        }
    }

    @Test
    void expiresOneTimeoutAfterTheLastRestartWithOneTask() {
        Clock clock = new Clock();
        int[] fired = {0};
        RetransmitTimer t = new RetransmitTimer(clock, () -> fired[0]++);
        t.restart();
        clock.advance(600 * MS);
        t.restart();
        t.restart();
        clock.advance(600 * MS);
        assertEquals(0, fired[0], "the deadline moved to 1.6 s");
        clock.advance(400 * MS);
        assertEquals(1, fired[0]);
        assertEquals(2, clock.scheduled, "the first task found the later deadline and waited on once");
    }

    @Test
    void stoppedItNeverFiresAndEnsureLeavesARunningDeadlineAlone() {
        Clock clock = new Clock();
        int[] fired = {0};
        RetransmitTimer t = new RetransmitTimer(clock, () -> fired[0]++);
        t.restart();
        t.stop();
        clock.advance(5_000 * MS);
        assertEquals(0, fired[0]);
        t.ensure();
        clock.advance(900 * MS);
        t.ensure();
        clock.advance(100 * MS);
        assertEquals(1, fired[0], "ensure did not move the deadline");
    }

    @Test
    void backoffDoublesTheTimeoutAndProgressResetsIt() {
        Clock clock = new Clock();
        int[] fired = {0};
        RetransmitTimer t = new RetransmitTimer(clock, () -> fired[0]++);
        t.backOff();
        t.restart();
        clock.advance(1_999 * MS);
        assertEquals(0, fired[0]);
        clock.advance(MS);
        assertEquals(1, fired[0]);
        t.progress();
        t.restart();
        clock.advance(1_000 * MS);
        assertEquals(2, fired[0]);
    }

    @Test
    void aSampleOnlyWhenTheAckCoversTheTimedSegmentAcrossTheWrap() {
        Clock clock = new Clock();
        int[] fired = {0};
        RetransmitTimer t = new RetransmitTimer(clock, () -> fired[0]++);
        t.startRtt(0xfffffff0);
        clock.advance(10 * MS);
        t.sampleRtt(0xfffffff0);
        t.startRttIfIdle(5);
        t.sampleRtt(3);
        // The 10 ms round trip sets the timeout to its 200 ms floor instead of the initial second.
        t.restart();
        clock.advance(RtoEstimator.MIN_RTO);
        assertEquals(1, fired[0]);
    }

    @Test
    void aCancelledMeasurementGivesNoSample() {
        Clock clock = new Clock();
        int[] fired = {0};
        RetransmitTimer t = new RetransmitTimer(clock, () -> fired[0]++);
        t.startRtt(100);
        clock.advance(10 * MS);
        t.cancelRtt();
        t.sampleRtt(200);
        t.restart();
        clock.advance(RtoEstimator.MIN_RTO);
        assertEquals(0, fired[0], "still the initial one-second timeout");
    }

    @Test
    void retriesCountUntilProgress() {
        RetransmitTimer t = new RetransmitTimer(new Clock(), () -> { });
        assertFalse(t.retriesExhausted(2));
        assertFalse(t.retriesExhausted(2));
        assertTrue(t.retriesExhausted(2));
        t.progress();
        assertFalse(t.retriesExhausted(2));
    }
}
