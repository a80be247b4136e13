package dev.rootlessjkit.child;

import dev.rootlessjkit.linux.TempDirs;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Mounts;
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

    private final Mounts mounts;
    private final Log log;
    /** Where the cgroup mount under /sys is bound aside while the new sysfs goes on. */
    private final Path scratchParent;
    private final Path cgroup;

    MountSetup(Mounts mounts, Log log) {
        this(mounts, log, Path.of("/tmp"), Path.of("/sys/fs/cgroup"));
    }

    /** With other directories than /tmp and /sys/fs/cgroup, for tests that must not depend on the host's. */
    MountSetup(Mounts mounts, Log log, Path scratchParent, Path cgroup) {
        this.mounts = mounts;
        this.log = log;
        this.scratchParent = scratchParent;
        this.cgroup = cgroup;
    }

    void setPropagation(String propagation) throws ChildException {
        final Long flags = PROPAGATION.get(propagation);
        if (flags == null) {
            throw new ChildException("unknown propagation: " + propagation);
        }
        try {
            mounts.mount("none", "/", null, flags, null);
        } catch (ErrnoException e) {
            throw new ChildException("failed to set propagation of / to " + propagation + ": " + e.getMessage(), e);
        }
    }

    /** A PID namespace needs its own procfs, or /proc would still show the host's PIDs. */
    void mountProc() {
        mountKernelFs("proc", "/proc");
    }

    /**
     * A network namespace needs its own sysfs, or /sys/class/net would list the host's interfaces. The cgroup
     * mount under /sys is carried over: it is bound aside first and moved back on top of the new sysfs, unless
     * a cgroup2 of our own (for --evacuate-cgroup2) replaces it.
     */
    void mountSys(boolean ownCgroup2) throws ChildException {
        Path aside = null;
        try {
            if (!ownCgroup2 && Files.isDirectory(cgroup)) {
                aside = TempDirs.create(scratchParent, "rootlessjkit-sys");
                mounts.mount(cgroup.toString(), aside.toString(), null, Linux.MS_BIND | Linux.MS_REC, null);
            }
            mountKernelFs("sysfs", "/sys");
            if (aside != null) {
                mounts.mount(aside.toString(), cgroup.toString(), null, Linux.MS_MOVE, null);
            }
            if (ownCgroup2) {
                mountCgroup2();
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

    /**
     * A cgroup2 hierarchy rooted at the group the parent evacuated (the cgroup namespace makes it the root).
     * tmpfs first: cgroup2 directly over a cgroup mount fails with EBUSY.
     */
    void mountCgroup2() throws ChildException {
        try {
            mounts.mount("tmpfs", cgroup.toString(), "tmpfs", Linux.MS_NOSUID | Linux.MS_NODEV | Linux.MS_NOEXEC,
                    "mode=755");
            mounts.mount("cgroup2", cgroup.toString(), "cgroup2", Linux.MS_NOSUID | Linux.MS_NODEV | Linux.MS_NOEXEC,
                    null);
        } catch (ErrnoException e) {
            throw new ChildException("failed to mount cgroup2 on " + cgroup + ": " + e.getMessage(), e);
        }
    }

    /**
     * Mounts a fresh procfs or sysfs. The kernel refuses a writable one where the host's is partly hidden by
     * locked mounts (as in containers), so fall back to read-only, and go on with a warning as RootlessKit does.
     */
    private void mountKernelFs(String type, String target) {
        final long flags = Linux.MS_NOSUID | Linux.MS_NODEV | Linux.MS_NOEXEC;
        try {
            mounts.mount(type, target, type, flags, null);
        } catch (ErrnoException e) {
            log.warn("failed to mount " + type + ", falling back to read-only mount: " + e.getMessage());
            try {
                mounts.mount(type, target, type, flags | Linux.MS_RDONLY, null);
            } catch (ErrnoException again) {
                log.warn("failed to mount " + type + ": " + again.getMessage());
            }
        }
    }
}
