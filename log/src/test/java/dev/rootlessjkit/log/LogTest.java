package dev.rootlessjkit.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LogTest {
    @Test
    void runAsRootlessKitTheMessagesSayRootlessKit() {
        assertEquals("rootlesskit", Log.programName("rootlesskit"));
        assertEquals("rootlesskit", Log.programName("/home/u/.local/bin/rootlesskit"));
        assertEquals("rootlesskit", Log.programName("docker-rootlesskit"));
    }

    @Test
    void anyOtherNameIsOurs() {
        assertEquals("rootlessjkit", Log.programName("rootlessjkit"));
        assertEquals("rootlessjkit", Log.programName("/usr/local/bin/rootlessjkit"));
        assertEquals("rootlessjkit", Log.programName(""));
        assertEquals("rootlessjkit", Log.programName("/opt/rootlesskit/bin/fakeroot"));
    }
}
