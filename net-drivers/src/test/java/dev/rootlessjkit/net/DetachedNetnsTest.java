package dev.rootlessjkit.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DetachedNetnsTest {
    @Test
    void parentReachesTheBindMountThroughTheChildsRoot() {
        assertEquals(Path.of("/proc/4242/root/tmp/rootlessjkit123/netns"),
                DetachedNetns.fromParent(4242, Path.of("/tmp/rootlessjkit123")));
        assertEquals(Path.of("/proc/7/root/run/user/1001/state/netns"),
                DetachedNetns.fromParent(7, Path.of("/run/user/1001/./state/")));
    }

    @Test
    void childUsesTheStateDirDirectly() {
        assertEquals(Path.of("/tmp/s/netns"), DetachedNetns.inStateDir(Path.of("/tmp/s")));
    }
}
