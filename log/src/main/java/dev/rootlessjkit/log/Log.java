package dev.rootlessjkit.log;

import java.io.PrintStream;

/**
 * Lines on stderr prefixed with the program and the process role, as RootlessKit prints them
 * ({@code [rootlessjkit:parent] ...}). Run under a RootlessKit name (the drop-in {@code rootlesskit}), the prefix
 * is RootlessKit's own ({@code [rootlesskit:parent] ...}), for scripts that look for its wording.
 * A plain writer on purpose: a logging framework costs hundreds of milliseconds of start-up.
 */
public final class Log {
    /** The name the launcher was run as ({@code $0}), passed by the launcher; absent means rootlessjkit. */
    public static final String PROGRAM_PROPERTY = "rootlessjkit.program";

    private final String prefix;
    private final boolean debug;
    private final long origin;
    private final PrintStream err;

    public Log(String role, boolean debug) {
        this("[" + programName(System.getProperty(PROGRAM_PROPERTY, "")) + ":" + role + "] ", debug,
                System.nanoTime());
    }

    /** {@code rootlesskit} for any name that contains it (rootlesskit, docker-rootlesskit), else rootlessjkit. */
    public static String programName(String argv0) {
        final String base = argv0.substring(argv0.lastIndexOf('/') + 1);
        return base.contains("rootlesskit") ? "rootlesskit" : "rootlessjkit";
    }

    private Log(String prefix, boolean debug, long origin) {
        this.prefix = prefix;
        this.debug = debug;
        this.origin = origin;
        this.err = System.err;
    }

    public Log withDebug(boolean enabled) {
        return new Log(prefix, enabled, origin);
    }

    public boolean debugEnabled() {
        return debug;
    }

    /** Debug lines carry the milliseconds since main() began, which is what start-up work is judged by. */
    public void debug(String message) {
        if (debug) {
            err.println(prefix + "debug: +" + (System.nanoTime() - origin) / 1_000_000 + "ms " + message);
        }
    }

    public void info(String message) {
        err.println(prefix + message);
    }

    public void warn(String message) {
        err.println(prefix + "warning: " + message);
    }

    public void error(String message) {
        err.println(prefix + "error: " + message);
    }
}
