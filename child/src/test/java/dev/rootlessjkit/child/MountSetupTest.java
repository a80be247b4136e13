package dev.rootlessjkit.child;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rootlessjkit.log.Log;
import org.junit.jupiter.api.Test;

/**
 * The decision MountSetup makes before any mount: a --propagation value outside RootlessKit's six is refused with a
 * message naming it, before anything is mounted (no Linux is given: a call to it would fail the test). The mounts
 * themselves change the mount table of whoever runs them and are exercised by PropagationIT.
 */
class MountSetupTest {
    @Test
    void anUnknownPropagationIsRefusedBeforeAnythingIsMounted() {
        final MountSetup setup = new MountSetup(null, new Log("child", false));

        for (final String value : new String[] {"bogus", "", "Private", "rprivate ", "unbindable"}) {
            final ChildException e = assertThrows(ChildException.class, () -> setup.setPropagation(value));
            assertEquals("unknown propagation: " + value, e.getMessage());
        }
    }
}
