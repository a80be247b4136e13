package dev.rootlessjkit.child;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The child's mounts that do not depend on drivers: propagation of "/", a new /proc and a new /sys. */
final class MountSetup {
    private static final Map<String, Long> PROPAGATION = Map.of(
            "private", Linux.MS_PRIVATE,
            "rprivate", Linux.MS_REC | Linux.MS_PRIVATE,
            "shared", Linux.MS_SHARED,
            "rshared", Linux.MS_REC | Linux.MS_SHARED,
            "slave", Linux.MS_SLAVE,
            "rslave", Linux.MS_REC | Linux.MS_SLAVE);

    private final Linux linux;
    private final Log log;

    MountSetup(Linux linux, Log log) {
        this.linux = linux;
        this.log = log;
    }

    void setPropagation(String propagation) throws ChildException {
        final Long flags = PROPAGATION.get(propagation);
        if (flags == null) {
            throw new ChildException("unknown propagation: " + propagation);
        }
        try {
            linux.mount("none", "/", null, flags, null);
        } catch (ErrnoException e) {
            throw new ChildException("failed to set propagation of / to " + propagation + ": " + e.getMessage(), e);
        }
    }

    /** A PID namespace needs its own procfs, or /proc would still show the host's PIDs. */
    void mountProc() {
        final long flags = Linux.MS_NOSUID | Linux.MS_NODEV | Linux.MS_NOEXEC;
        try {
            linux.mount("proc", "/proc", "proc", flags, null);
        } catch (ErrnoException e) {
            log.warn("failed to mount procfs, falling back to read-only mount: " + e.getMessage());
            try {
                linux.mount("proc", "/proc", "proc", flags | Linux.MS_RDONLY, null);
            } catch (ErrnoException again) {
                log.warn("failed to mount procfs: " + again.getMessage());
            }
        }
    }

    /**
     * A network namespace needs its own sysfs, or /sys/class/net would list the host's interfaces. The cgroup
     * mount under /sys is carried over: it is bound aside first and moved back on top of the new sysfs.
     */
    void mountSys() throws ChildException {
        final Path cgroup = Path.of("/sys/fs/cgroup");
        Path aside = null;
        try {
            if (Files.isDirectory(cgroup)) {
                aside = Files.createTempDirectory(Path.of("/tmp"), "rootlessjkit-sys");
                linux.mount(cgroup.toString(), aside.toString(), null, Linux.MS_BIND | Linux.MS_REC, null);
            }
            mountSysfs();
            if (aside != null) {
                linux.mount(aside.toString(), cgroup.toString(), null, Linux.MS_MOVE, null);
            }
        } catch (IOException e) {
            throw new ChildException("failed to mount sysfs: " + e.getMessage(), e);
        } finally {
            if (aside != null) {
                try {
                    Files.deleteIfExists(aside);
                } catch (IOException e) {
                    log.warn("could not remove " + aside + ": " + e.getMessage());
                }
            }
        }
    }

    private void mountSysfs() {
        final long flags = Linux.MS_NOSUID | Linux.MS_NODEV | Linux.MS_NOEXEC;
        try {
            linux.mount("sysfs", "/sys", "sysfs", flags, null);
        } catch (ErrnoException e) {
            log.warn("failed to mount sysfs, falling back to read-only mount: " + e.getMessage());
            try {
                linux.mount("sysfs", "/sys", "sysfs", flags | Linux.MS_RDONLY, null);
            } catch (ErrnoException again) {
                log.warn("failed to mount sysfs: " + again.getMessage());
            }
        }
    }
}
