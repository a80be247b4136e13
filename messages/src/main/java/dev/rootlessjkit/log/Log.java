package dev.rootlessjkit.log;

import java.io.PrintStream;

/**
 * Lines on stderr prefixed with the process role, as RootlessKit prints them ({@code [rootlessjkit:parent] ...}).
 * A plain writer on purpose: a logging framework costs hundreds of milliseconds of start-up.
 */
public final class Log {
    private final String prefix;
    private final boolean debug;
    private final PrintStream err;

    public Log(String role, boolean debug) {
        this.prefix = "[rootlessjkit:" + role + "] ";
        this.debug = debug;
        this.err = System.err;
    }

    public Log withDebug(boolean enabled) {
        return new Log(prefix.substring("[rootlessjkit:".length(), prefix.length() - 2), enabled);
    }

    public boolean debugEnabled() {
        return debug;
    }

    public void debug(String message) {
        if (debug) {
            err.println(prefix + "debug: " + message);
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
