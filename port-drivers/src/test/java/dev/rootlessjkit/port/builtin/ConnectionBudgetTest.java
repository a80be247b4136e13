package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class ConnectionBudgetTest {
    @Test
    void sizedSoThatRelaysLeaveTheReserveAndHalfOfTheRestToEverythingElse() {
        // 256: 128 reserved, 128 / 2 / 2 = 32 relays (64 fds); 20000 (this machine's hard limit): 4872 relays.
        assertEquals(32, ConnectionBudget.forOpenFiles(256).capacity());
        assertEquals(8, ConnectionBudget.forOpenFiles(256).perClient());
        assertEquals(128, ConnectionBudget.forOpenFiles(1024).capacity());
        assertEquals(4872, ConnectionBudget.forOpenFiles(20000).capacity());
        assertEquals(ConnectionBudget.MIN_CONNECTIONS, ConnectionBudget.forOpenFiles(20).capacity());
        assertEquals(ConnectionBudget.MAX_CONNECTIONS, ConnectionBudget.forOpenFiles(Long.MAX_VALUE).capacity());
    }

    @Test
    void capsPerClientAndInAllAndTakesBackWhatIsReleased() throws UnknownHostException {
        final ConnectionBudget budget = new ConnectionBudget(3, 2);
        final InetAddress a = InetAddress.getByName("10.0.0.1");
        final InetAddress b = InetAddress.getByName("10.0.0.2");
        final InetAddress c = InetAddress.getByName("10.0.0.3");
        assertTrue(budget.admit(a));
        assertTrue(budget.admit(a));
        assertFalse(budget.admit(a), "a's share is two");
        assertTrue(budget.admit(b));
        assertFalse(budget.admit(c), "three in all");
        budget.release(a);
        assertTrue(budget.admit(c));
        assertEquals(3, budget.inUse());
        assertThrows(IllegalStateException.class, () -> budget.release(InetAddress.getByName("10.0.0.9")));
    }
}
