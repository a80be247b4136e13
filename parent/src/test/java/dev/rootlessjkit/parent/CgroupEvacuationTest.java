package dev.rootlessjkit.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.log.Log;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupEvacuationTest {
    @TempDir
    Path group;

    @Test
    void findsTheCgroup2MountAndOurGroup() {
        final String mountinfo = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
                + "35 31 0:32 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
        assertEquals(Optional.of(Path.of("/sys/fs/cgroup/unified")), CgroupEvacuation.cgroup2Mount(mountinfo));
        assertEquals(Optional.empty(), CgroupEvacuation.cgroup2Mount(mountinfo.split("\n")[0]));
        assertEquals(Optional.of("/user.slice/user-1000.slice"),
                CgroupEvacuation.ownGroup("1:cpu:/\n0::/user.slice/user-1000.slice\n"));
    }

    @Test
    void movesEveryProcessAndDelegatesEveryController() throws Exception {
        // A directory stands in for the cgroup: writes to cgroup.procs land in files the test reads back.
        Files.writeString(group.resolve("cgroup.procs"), "10\n11\n");
        Files.writeString(group.resolve("cgroup.controllers"), "cpu memory\n");
        new CgroupEvacuation(new Log("parent", false)).evacuate(group, "evac");
        assertEquals("11", Files.readString(group.resolve("evac/cgroup.procs")));
        assertEquals("+memory", Files.readString(group.resolve("cgroup.subtree_control")));
    }
}
