package dev.rootlessjkit.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Mounts;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @TempDir
    Path root;

    /** Records each mount as "source on target flags", and refuses them all when told to, as the kernel would. */
    private static final class BindRecorder implements Mounts {
        final List<String> mounts = new ArrayList<>();
        private final boolean refuse;

        BindRecorder(boolean refuse) {
            this.refuse = refuse;
        }

        @Override
        public void mount(String source, String target, String fsType, long flags, String data)
                throws ErrnoException {
            mounts.add(source + " on " + target + " " + flags + (fsType == null ? "" : " " + fsType));
            if (refuse) {
                throw new ErrnoException("mount", source + " on " + target, 1, "Operation not permitted");
            }
        }

        @Override
        public void umount(String target, int flags) {
            throw new AssertionError("nothing is unmounted");
        }
    }

    private Path etcWithHostLinks() throws Exception {
        final Path host = Files.createDirectory(root.resolve("host"));
        Files.writeString(host.resolve("hosts"), "127.0.0.1 localhost\n");
        Files.writeString(host.resolve("resolv.conf"), "nameserver 127.0.0.53\n");
        // A copied-up /etc: its entries are symlinks into the host's.
        final Path etc = Files.createDirectory(root.resolve("etc"));
        Files.createSymbolicLink(etc.resolve("hosts"), host.resolve("hosts"));
        Files.createSymbolicLink(etc.resolve("resolv.conf"), host.resolve("resolv.conf"));
        return etc;
    }

    /** The state dir's files are bound over /etc's, resolv.conf first, after the copy-up's symlinks are replaced. */
    @Test
    void installBindsTheStateDirsFilesOverEtc() throws Exception {
        final Path etc = etcWithHostLinks();
        final Path state = Files.createDirectory(root.resolve("state"));
        final BindRecorder recorder = new BindRecorder(false);

        EtcFiles.install(recorder, new Log("child", false), state, true, false, List.of("10.0.2.3"), etc);

        assertEquals(List.of(state.resolve("resolv.conf") + " on " + etc.resolve("resolv.conf") + " " + Linux.MS_BIND,
                state.resolve("hosts") + " on " + etc.resolve("hosts") + " " + Linux.MS_BIND), recorder.mounts);
        assertEquals("nameserver 10.0.2.3\n", Files.readString(state.resolve("resolv.conf")));
        assertTrue(Files.readString(state.resolve("hosts")).startsWith("127.0.0.1 localhost\n"));
        for (String name : List.of("resolv.conf", "hosts")) {
            assertFalse(Files.isSymbolicLink(etc.resolve(name)), "a bind over a symlink lands on the host's " + name);
            assertEquals(0, Files.size(etc.resolve(name)));
        }
        assertEquals("nameserver 127.0.0.53\n", Files.readString(root.resolve("host/resolv.conf")),
                "the host's file is untouched");
    }

    /** --detach-netns: the command keeps the host's network, and its files. */
    @Test
    void aDetachedNamespaceMountsNothing() throws Exception {
        final Path etc = etcWithHostLinks();
        final Path state = Files.createDirectory(root.resolve("state"));
        final BindRecorder recorder = new BindRecorder(false);

        EtcFiles.install(recorder, new Log("child", false), state, true, true, List.of("10.0.2.3"), etc);

        assertEquals(List.of(), recorder.mounts);
        assertTrue(Files.isSymbolicLink(etc.resolve("resolv.conf")));
        assertEquals("nameserver 10.0.2.3\n", Files.readString(state.resolve("resolv.conf")));
    }

    @Test
    void aRefusedBindNamesBothFiles() throws Exception {
        final Path etc = Files.createDirectory(root.resolve("etc"));
        Files.writeString(etc.resolve("hosts"), "");
        Files.writeString(etc.resolve("resolv.conf"), "");
        final Path state = Files.createDirectory(root.resolve("state"));
        final BindRecorder recorder = new BindRecorder(true);

        final NetworkDriverException e = assertThrows(NetworkDriverException.class, () -> EtcFiles.install(recorder,
                new Log("child", false), state, false, false, List.of("10.0.2.3"), etc));

        final String subject = state.resolve("resolv.conf") + " on " + etc.resolve("resolv.conf");
        assertEquals("failed to mount " + subject + ": mount " + subject + ": Operation not permitted",
                e.getMessage());
        assertEquals(1, recorder.mounts.size(), "nothing after the refused bind: " + recorder.mounts);
    }
}
