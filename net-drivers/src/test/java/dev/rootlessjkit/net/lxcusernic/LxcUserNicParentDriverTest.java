package dev.rootlessjkit.net.lxcusernic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LxcUserNicParentDriverTest {
    @Test
    void lastLineWithoutSourcePrefix() {
        assertEquals("Quota reached", LxcUserNicParentDriver.lastLine(
                "../src/lxc/cmd/lxc_user_nic.c: 1250: main: Quota reached\n"));
        assertEquals("Permission denied - Uid 1001 may not access /proc/1/ns/net", LxcUserNicParentDriver.lastLine(
                "x\n../src/lxc/cmd/lxc_user_nic.c: 973: may_access_netns - Permission denied - Uid 1001 may not "
                        + "access /proc/1/ns/net\n\n"));
        assertEquals("plain words", LxcUserNicParentDriver.lastLine("plain words"));
        assertEquals("", LxcUserNicParentDriver.lastLine("\n \n"));
    }
}
