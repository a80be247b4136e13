package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.Sysctl;
import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Warnings about the host that explain a failure before it happens (RootlessKit's warn.go checks). */
final class Preflight {
    private Preflight() {
    }

    static void warn(Log log, int euid) {
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
