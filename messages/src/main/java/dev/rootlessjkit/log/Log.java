package dev.rootlessjkit.log;

import java.io.PrintStream;

/**
 * Lines on stderr prefixed with the process role, as RootlessKit prints them ({@code [rootlessjkit:parent] ...}).
 * A plain writer on purpose: a logging framework costs hundreds of milliseconds of start-up.
 */
public final class Log {
    private final String prefix;
    private final boolean debug;
    private final long origin;
    private final PrintStream err;

    public Log(String role, boolean debug) {
        this("[rootlessjkit:" + role + "] ", debug, System.nanoTime());
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
