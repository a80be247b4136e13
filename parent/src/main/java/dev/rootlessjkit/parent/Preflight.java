package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.Sysctl;
import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Warnings about the host that explain a failure before it happens (RootlessKit's warn.go checks). */
final class Preflight {
    private Preflight() {
    }

    static void warn(Log log, int euid, ParentConfig.Propagation propagation) {
        if (euid == 0) {
            log.warn("Running rootlessjkit as the root user is unsupported.");
        }
        final Long clone = readNumber(log, Path.of("/proc/sys/kernel/unprivileged_userns_clone"));
        if (clone != null && clone == 0) {
            log.warn("/proc/sys/kernel/unprivileged_userns_clone needs to be set to 1.");
        }
        final Long max = readNumber(log, Path.of("/proc/sys/user/max_user_namespaces"));
        if (max != null && max == 0) {
            log.warn("/proc/sys/user/max_user_namespaces needs to be set to non-zero.");
        } else if (max != null && max < 1024) {
            log.warn("/proc/sys/user/max_user_namespaces=" + max + " may be low. Consider setting to >= 1024.");
        }
        try {
            propagationWarning(propagation, Files.readAllLines(Path.of("/proc/self/mountinfo"))).ifPresent(log::warn);
        } catch (IOException e) {
            log.warn("Failed to read /proc/self/mountinfo: " + e.getMessage());
        }
    }

    /**
     * --propagation=rslave (dockerd-rootless.sh passes it) or shared only has an effect when the host's "/" is a
     * shared mount: on a private "/" (e.g. in many containers and VMs) mounts made on the host later never reach
     * the namespace. RootlessKit warns with the optional fields of "/" as they are, e.g. "" or "master:1".
     */
    static Optional<String> propagationWarning(ParentConfig.Propagation propagation, List<String> mountinfo) {
        if (propagation.cliName.contains("private")) {
            return Optional.empty();
        }
        for (final String line : mountinfo) {
            final String[] fields = line.split(" ");
            if (fields.length > 6 && fields[4].equals("/")) {
                // Optional fields run from the 7th field to the "-" separator.
                final StringBuilder optional = new StringBuilder();
                for (int i = 6; i < fields.length && !fields[i].equals("-"); i++) {
                    optional.append(optional.length() == 0 ? "" : " ").append(fields[i]);
                }
                if (optional.toString().contains("shared")) {
                    return Optional.empty();
                }
                return Optional.of("The host root filesystem is mounted as \"" + optional + "\". Setting child "
                        + "propagation to \"" + propagation.cliName + "\" is not supported.");
            }
        }
        return Optional.empty();
    }

    private static Long readNumber(Log log, Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return Long.parseLong(Sysctl.read(file));
        } catch (IOException | NumberFormatException e) {
            log.warn("Failed to parse " + file + ": " + e.getMessage());
            return null;
        }
    }
}
