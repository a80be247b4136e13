package dev.rootlessjkit.net.usernet.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SeqNumTest {
    private static final int TOP = 0xffffffff;

    @Test
    void orderHoldsAcrossTheWrapFromTheTopToZero() {
        assertTrue(SeqNum.lessThan(TOP, 0));
        assertTrue(SeqNum.lessThan(0xfffffff0, 0x10));
        assertTrue(SeqNum.greaterThan(0, TOP));
        assertTrue(SeqNum.greaterThan(0x10, 0xfffffff0));
        assertFalse(SeqNum.lessThan(0, TOP));
        assertTrue(SeqNum.lessOrEqual(TOP, TOP));
        assertTrue(SeqNum.greaterOrEqual(0, 0));
        assertFalse(SeqNum.lessThan(5, 5));
        assertFalse(SeqNum.greaterThan(5, 5));
    }

    @Test
    void orderFlipsAcrossSignedIntegerOverflowToo() {
        // Not a wrap of the sequence space, but where a signed comparison of the raw ints would go wrong.
        assertTrue(SeqNum.lessThan(Integer.MAX_VALUE, Integer.MIN_VALUE));
        assertTrue(SeqNum.greaterThan(Integer.MIN_VALUE + 3, Integer.MAX_VALUE - 3));
    }

    @Test
    void numbersHalfTheSpaceApartAreEachBeforeTheOther() {
        // RFC 1982 leaves this pair undefined; TCP windows are far smaller, so only consistency with int matters.
        assertTrue(SeqNum.lessThan(0x80000000, 0));
        assertTrue(SeqNum.lessThan(0, 0x80000000));
    }

    @Test
    void addAndDistanceWrap() {
        assertEquals(4, SeqNum.add(TOP - 5, 10));
        assertEquals(TOP - 5, SeqNum.add(4, -10));
        assertEquals(10, SeqNum.distance(TOP - 5, 4));
        assertEquals(-10, SeqNum.distance(4, TOP - 5));
        assertEquals(0, SeqNum.distance(TOP, TOP));
    }

    @Test
    void inWindowIsHalfOpenAndWraps() {
        int start = TOP - 9;
        assertTrue(SeqNum.inWindow(start, start, 20));
        assertTrue(SeqNum.inWindow(TOP, start, 20));
        assertTrue(SeqNum.inWindow(0, start, 20));
        assertTrue(SeqNum.inWindow(9, start, 20));
        assertFalse(SeqNum.inWindow(10, start, 20));
        assertFalse(SeqNum.inWindow(start - 1, start, 20));
        assertFalse(SeqNum.inWindow(start, start, 0));
        assertTrue(SeqNum.inWindow(start, start, 1));
        assertFalse(SeqNum.inWindow(start + 1, start, 1));
    }

    @Test
    void inWindowMatchesTheSignedDistanceTestItReplaces() {
        int[] points = {0, 1, 2, 1000, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, TOP};
        int[] sizes = {0, 1, 2, 65535, 1 << 30, Integer.MAX_VALUE};
        for (int start : points) {
            for (int delta : points) {
                for (int size : sizes) {
                    int d = delta;
                    boolean signed = d >= 0 && d < size;
                    assertEquals(signed, SeqNum.inWindow(start + delta, start, size),
                            () -> start + "+" + d + " in " + size);
                }
            }
        }
    }

    @Test
    void agreesWithTheModularDefinitionOnRandomPairs() {
        // RFC 1982: a is before b when (b - a) mod 2^32 lies in (0, 2^31); computed here in longs, not int overflow.
        SplittableRandom random = new SplittableRandom(0x5eed);
        for (int i = 0; i < 100_000; i++) {
            int a = random.nextInt();
            int b = i % 2 == 0 ? random.nextInt() : a + random.nextInt(-70_000, 70_000);
            long forward = ((b & 0xffffffffL) - (a & 0xffffffffL)) & 0xffffffffL;
            if (forward == 0x80000000L) {
                continue; // RFC 1982 leaves it undefined; see numbersHalfTheSpaceApartAreEachBeforeTheOther
            }
            boolean before = forward != 0 && forward < 0x80000000L;
            assertEquals(before, SeqNum.lessThan(a, b), () -> a + " < " + b);
            assertEquals(before || a == b, SeqNum.lessOrEqual(a, b));
            assertEquals(forward, SeqNum.distance(a, b) & 0xffffffffL);
            assertEquals(b, SeqNum.add(a, SeqNum.distance(a, b)));
            int size = random.nextInt(1 << 20);
            assertEquals(forward < size, SeqNum.inWindow(b, a, size));
        }
    }

    @Test
    void maxTakesTheLaterNumberAcrossTheWrap() {
        assertEquals(3, SeqNum.max(3, TOP));
        assertEquals(3, SeqNum.max(TOP, 3));
        assertEquals(TOP, SeqNum.max(TOP, TOP - 1));
    }

    @Test
    void comparatorSortsAWindowThatStraddlesTheWrap() {
        TreeMap<Integer, String> m = new TreeMap<>(SeqNum::compare);
        m.put(5, "c");
        m.put(TOP, "b");
        m.put(TOP - 100, "a");
        assertEquals("[a, b, c]", m.values().toString());
        assertEquals(TOP, m.floorKey(0));
    }
}
