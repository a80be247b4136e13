package dev.rootlessjkit.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's RLIMIT_NOFILE soft limit, read from /proc/self/limits (no native call, so no library to load), which
 * the tables that hold a descriptor per entry are sized from: usernet's flows, the builtin port driver's relays.
 */
public final class OpenFileLimit {
    /** What Linux gives a process by default; assumed when /proc cannot be read. */
    static final long FALLBACK = 1024;

    private OpenFileLimit() {
    }

    public static long soft() {
        return soft(Path.of("/proc/self/limits"));
    }

    static long soft(Path limits) {
        try {
            for (String line : Files.readAllLines(limits)) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    return f[0].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(f[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // No /proc (or an unexpected format): size for the default limit.
        }
        return FALLBACK;
    }
}
