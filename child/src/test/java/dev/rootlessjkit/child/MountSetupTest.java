package dev.rootlessjkit.child;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.child.RecordingMounts.Call;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mounts MountSetup asks for, call by call, through a recording {@link RecordingMounts}, and what it does when
 * one fails. That the kernel does what these calls say is exercised by PropagationIT and the network ITs.
 */
class MountSetupTest {
    private static final long KERNEL_FS = Linux.MS_NOSUID | Linux.MS_NODEV | Linux.MS_NOEXEC;

    @TempDir
    Path root;
    private Path scratch;
    private Path cgroup;
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private PrintStream realStderr;
    private Log log;

    @BeforeEach
    void setUp() throws Exception {
        scratch = Files.createDirectory(root.resolve("tmp"));
        cgroup = root.resolve("sys-fs-cgroup");
        realStderr = System.err;
        // Log writes to the System.err of its making.
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        log = new Log("child", false);
    }

    @AfterEach
    void restoreStderr() {
        System.setErr(realStderr);
    }

    private String warnings() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    private MountSetup setup(RecordingMounts mounts) {
        return new MountSetup(mounts, log, scratch, cgroup);
    }

    @Test
    void anUnknownPropagationIsRefusedBeforeAnythingIsMounted() {
        final MountSetup setup = new MountSetup(null, new Log("child", false));

        for (final String value : new String[] {"bogus", "", "Private", "rprivate ", "unbindable"}) {
            final ChildException e = assertThrows(ChildException.class, () -> setup.setPropagation(value));
            assertEquals("unknown propagation: " + value, e.getMessage());
        }
    }

    @Test
    void eachPropagationIsOneRemountOfTheRoot() throws ChildException {
        final Map<String, Long> expected = Map.of(
                "private", Linux.MS_PRIVATE,
                "rprivate", Linux.MS_REC | Linux.MS_PRIVATE,
                "shared", Linux.MS_SHARED,
                "rshared", Linux.MS_REC | Linux.MS_SHARED,
                "slave", Linux.MS_SLAVE,
                "rslave", Linux.MS_REC | Linux.MS_SLAVE);
        for (Map.Entry<String, Long> propagation : expected.entrySet()) {
            final RecordingMounts mounts = new RecordingMounts();
            setup(mounts).setPropagation(propagation.getKey());
            assertEquals(List.of(new Call("none", "/", null, propagation.getValue(), null)), mounts.calls(),
                    propagation.getKey());
        }
    }

    @Test
    void aFailedPropagationNamesTheValueAndTheKernelsError() {
        final RecordingMounts mounts = new RecordingMounts().failing(call -> true);
        assertEquals("failed to set propagation of / to rslave: mount none on /: Operation not permitted",
                assertThrows(ChildException.class, () -> setup(mounts).setPropagation("rslave")).getMessage());
    }

    @Test
    void procIsAFreshProcfs() {
        final RecordingMounts mounts = new RecordingMounts();
        setup(mounts).mountProc();
        assertEquals(List.of(new Call("proc", "/proc", "proc", KERNEL_FS, null)), mounts.calls());
        assertEquals("", warnings());
    }

    /** Where the host's procfs is partly hidden by locked mounts, the kernel allows only a read-only one. */
    @Test
    void procFallsBackToReadOnlyAndGoesOnWithAWarning() {
        final RecordingMounts mounts = new RecordingMounts().failing(call -> (call.flags() & Linux.MS_RDONLY) == 0);
        setup(mounts).mountProc();
        assertEquals(List.of(new Call("proc", "/proc", "proc", KERNEL_FS, null),
                new Call("proc", "/proc", "proc", KERNEL_FS | Linux.MS_RDONLY, null)), mounts.calls());
        assertTrue(warnings().contains("warning: failed to mount proc, falling back to read-only mount: mount proc on "
                + "/proc: Operation not permitted"), warnings());

        final RecordingMounts neither = new RecordingMounts().failing(call -> true);
        setup(neither).mountProc();
        assertEquals(2, neither.calls().size());
        assertTrue(warnings().contains("warning: failed to mount proc: mount proc on /proc: Operation not permitted"),
                warnings());
    }

    /** The host's cgroup mount is bound aside, the new sysfs goes on, and the cgroup mount is moved back on it. */
    @Test
    void sysfsCarriesTheCgroupMountOver() throws Exception {
        Files.createDirectory(cgroup);
        final RecordingMounts mounts = new RecordingMounts();
        setup(mounts).mountSys(false);

        final List<Call> calls = mounts.calls();
        assertEquals(3, calls.size(), calls.toString());
        final String aside = calls.get(0).target();
        assertTrue(aside.startsWith(scratch.resolve("rootlessjkit-sys").toString()), aside);
        assertEquals(List.of(new Call(cgroup.toString(), aside, null, Linux.MS_BIND | Linux.MS_REC, null),
                new Call("sysfs", "/sys", "sysfs", KERNEL_FS, null),
                new Call(aside, cgroup.toString(), null, Linux.MS_MOVE, null)), calls);
        assertEmpty(scratch);
    }

    @Test
    void sysfsAloneWhenThereIsNoCgroupMount() throws ChildException {
        final RecordingMounts mounts = new RecordingMounts();
        setup(mounts).mountSys(false);
        assertEquals(List.of(new Call("sysfs", "/sys", "sysfs", KERNEL_FS, null)), mounts.calls());
    }

    /** --evacuate-cgroup2: a cgroup2 of our own, on a tmpfs (cgroup2 straight over a cgroup mount is EBUSY). */
    @Test
    void sysfsWithACgroup2OfOurOwn() throws Exception {
        Files.createDirectory(cgroup);
        final RecordingMounts mounts = new RecordingMounts();
        setup(mounts).mountSys(true);
        assertEquals(List.of(new Call("sysfs", "/sys", "sysfs", KERNEL_FS, null),
                new Call("tmpfs", cgroup.toString(), "tmpfs", KERNEL_FS, "mode=755"),
                new Call("cgroup2", cgroup.toString(), "cgroup2", KERNEL_FS, null)), mounts.calls());
        assertEmpty(scratch);
    }

    @Test
    void aFailedCgroupBindStopsTheSysfsMountAndLeavesNoDirectory() throws Exception {
        Files.createDirectory(cgroup);
        final RecordingMounts mounts = new RecordingMounts().failing(call -> call.source().equals(cgroup.toString()));
        final ChildException e = assertThrows(ChildException.class, () -> setup(mounts).mountSys(false));
        final String aside = mounts.calls().get(0).target();
        assertEquals("failed to mount sysfs: mount " + cgroup + " on " + aside + ": Operation not permitted",
                e.getMessage());
        assertEquals(1, mounts.calls().size(), mounts.calls().toString());
        assertEmpty(scratch);
    }

    @Test
    void aFailedCgroup2MountNamesItsTarget() {
        final RecordingMounts mounts = new RecordingMounts().failing(call -> "cgroup2".equals(call.fsType()));
        assertEquals("failed to mount cgroup2 on " + cgroup + ": mount cgroup2 on " + cgroup
                + ": Operation not permitted",
                assertThrows(ChildException.class, () -> setup(mounts).mountCgroup2()).getMessage());
        assertEquals(2, mounts.calls().size(), mounts.calls().toString());
    }

    private static void assertEmpty(Path dir) throws Exception {
        try (Stream<Path> entries = Files.list(dir)) {
            assertEquals(List.of(), entries.toList(), "left behind in " + dir);
        }
    }
}
