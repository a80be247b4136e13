package dev.rootlessjkit.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WaitStatusTest {
    @Test
    void exitStatusIsPassedThrough() {
        final WaitStatus status = new WaitStatus(42 << 8);
        assertTrue(status.exited());
        assertEquals(42, status.toExitCode());
        assertEquals("exit status 42", status.describe());
    }

    @Test
    void signalDeathIs255WithGoWording() {
        final WaitStatus status = new WaitStatus(Signals.SIGUSR1);
        assertFalse(status.exited());
        assertTrue(status.signaled());
        assertEquals(255, status.toExitCode());
        assertEquals("signal: user defined signal 1", status.describe());
        assertEquals("signal: terminated", new WaitStatus(Signals.SIGTERM).describe());
        assertEquals("signal: killed", new WaitStatus(Signals.SIGKILL | 0x80).describe());
    }
}
