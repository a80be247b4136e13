package dev.rootlessjkit.child;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.messages.ChildLaunch;
import org.junit.jupiter.api.Test;

class ChildLaunchTest {

    /** The parent names the child's main class by string (it does not compile against this module). */
    @Test
    void theParentStartsThisMainClass() {
        assertEquals(ChildMain.class.getName(), ChildLaunch.MAIN_CLASS);
    }
}
