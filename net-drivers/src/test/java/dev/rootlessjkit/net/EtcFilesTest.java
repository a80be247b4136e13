package dev.rootlessjkit.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class EtcFilesTest {
    @Test
    void resolvConfHasOneNameserverLinePerAddress() {
        assertEquals("nameserver 10.0.2.3\nnameserver fd00::3\n", EtcFiles.resolvConf(List.of("10.0.2.3", "fd00::3")));
        assertEquals("", EtcFiles.resolvConf(List.of()));
    }

    @Test
    void hostsAppendsTheHostnameForBothLoopbacks() {
        assertEquals("127.0.0.1 localhost\n127.0.0.1 box\n::1 box\n", EtcFiles.hosts("127.0.0.1 localhost\n", "box"));
    }

    @Test
    void hostsDoesNotRepeatAMappingTheHostAlreadyHas() {
        final String host = "127.0.0.1\tlocalhost\n127.0.1.1 other\n127.0.0.1 box.example box # here\n";
        assertEquals(host + "::1 box\n", EtcFiles.hosts(host, "box"));
        final String both = "127.0.0.1 box\n::1 localhost box\n";
        assertEquals(both, EtcFiles.hosts(both, "box"));
    }

    @Test
    void commentedOutMappingsDoNotCount() {
        assertEquals("# 127.0.0.1 box\n127.0.0.1 box\n::1 box\n", EtcFiles.hosts("# 127.0.0.1 box\n", "box"));
    }

    @Test
    void hostsWithoutFinalNewlineOrEmptyStillGetsWholeLines() {
        assertEquals("127.0.0.1 localhost\n127.0.0.1 box\n::1 box\n", EtcFiles.hosts("127.0.0.1 localhost", "box"));
        assertEquals("127.0.0.1 box\n::1 box\n", EtcFiles.hosts("", "box"));
    }
}
