package dev.rootlessjkit.parent;

import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
        // One read with a buffer large enough: sysctl files answer a read at a non-zero offset with EOF, so
        // Files.readString (which starts with a one-byte read for size-0 files) would see "9" for "96365".
        try (InputStream in = Files.newInputStream(file)) {
            final byte[] buf = new byte[64];
            final int n = in.read(buf);
            return Long.parseLong(new String(buf, 0, Math.max(n, 0), StandardCharsets.US_ASCII).strip());
        } catch (IOException | NumberFormatException e) {
            log.warn("Failed to parse " + file + ": " + e.getMessage());
            return null;
        }
    }
}
