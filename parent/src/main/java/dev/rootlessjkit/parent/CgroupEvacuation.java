package dev.rootlessjkit.parent;

import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * --evacuate-cgroup2: moves every process of our cgroup2 group into a subgroup, so the group itself holds no
 * processes and its controllers can be delegated to the child (cgroup v2's "no internal processes" rule).
 */
final class CgroupEvacuation {
    private final Log log;

    CgroupEvacuation(Log log) {
        this.log = log;
    }

    /** Evacuates the group of {@code pid}; without a cgroup2 mount it only warns, as RootlessKit does. */
    void evacuate(long pid, String subgroup) throws ParentException {
        final Optional<Path> mount = cgroup2Mount(read(Path.of("/proc/self/mountinfo")));
        if (mount.isEmpty()) {
            log.warn("cgroup2 is not mounted. cgroup2 evacuation is discarded.");
            return;
        }
        final String group = ownGroup(read(Path.of("/proc", Long.toString(pid), "cgroup")))
                .orElseThrow(() -> new ParentException("process " + pid + " has no cgroup2 group (no \"0::\" line)"));
        evacuate(mount.get().resolve(group.substring(1)), subgroup);
    }

    void evacuate(Path group, String subgroup) throws ParentException {
        final Path target = group.resolve(subgroup);
        try {
            Files.createDirectories(target);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ParentException("cannot create cgroup " + target + ": permission denied (--evacuate-cgroup2 "
                    + "needs a delegated cgroup, e.g. run under 'systemd-run --user -p Delegate=yes')", e);
        } catch (IOException e) {
            throw new ParentException("cannot create cgroup " + target + ": " + e.getMessage(), e);
        }
        for (String pid : read(group.resolve("cgroup.procs")).split("\n")) {
            if (pid.isBlank()) {
                continue;
            }
            try {
                Files.writeString(target.resolve("cgroup.procs"), pid.strip());
            } catch (IOException e) {
                log.warn("failed to move process " + pid.strip() + " to " + target + ": " + e.getMessage());
            }
        }
        for (String controller : read(group.resolve("cgroup.controllers")).strip().split("\\s+")) {
            if (controller.isEmpty()) {
                continue;
            }
            try {
                Files.writeString(group.resolve("cgroup.subtree_control"), "+" + controller);
            } catch (IOException e) {
                log.warn("failed to enable controller " + controller + " for " + group + ": " + e.getMessage());
            }
        }
    }

    /** The mount point of the (single) cgroup2 hierarchy in a /proc/PID/mountinfo text. */
    static Optional<Path> cgroup2Mount(String mountinfo) {
        for (String line : mountinfo.split("\n")) {
            final int separator = line.indexOf(" - ");
            if (separator < 0) {
                continue;
            }
            final String[] after = line.substring(separator + 3).split(" ");
            final String[] before = line.substring(0, separator).split(" ");
            if (after.length > 0 && after[0].equals("cgroup2") && before.length > 4) {
                return Optional.of(Path.of(before[4]));
            }
        }
        return Optional.empty();
    }

    /** The group path from the {@code 0::/path} line of a /proc/PID/cgroup text. */
    static Optional<String> ownGroup(String procCgroup) {
        return List.of(procCgroup.split("\n")).stream().filter(l -> l.startsWith("0::")).findFirst()
                .map(l -> l.substring(3).strip());
    }

    private static String read(Path file) throws ParentException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new ParentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
