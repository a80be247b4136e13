package dev.rootlessjkit.linux;

import java.util.List;

/** Linux x86-64/arm64 signal numbers, with the short names the JVM uses and Go's descriptions. */
public final class Signals {
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGKILL = 9;
    public static final int SIGUSR1 = 10;
    public static final int SIGTERM = 15;
    public static final int SIGCHLD = 17;

    private static final String[] NAMES = {
        null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM",
        "PROF", "WINCH", "IO", "PWR", "SYS",
    };

    private static final String[] DESCRIPTIONS = {
        null, "hangup", "interrupt", "quit", "illegal instruction", "trace/breakpoint trap", "aborted", "bus error",
        "floating point exception", "killed", "user defined signal 1", "segmentation fault",
        "user defined signal 2", "broken pipe", "alarm clock", "terminated", "stack fault", "child exited",
        "continued", "stopped (signal)", "stopped", "stopped (tty input)", "stopped (tty output)",
        "urgent I/O condition", "CPU time limit exceeded", "file size limit exceeded", "virtual timer expired",
        "profiling timer expired", "window changed", "I/O possible", "power failure", "bad system call",
    };

    /**
     * The signals a rootlessjkit process passes on to the process it stands in for. SIGCHLD, SIGPIPE and SIGURG
     * concern the proxy itself (as in RootlessKit); SIGKILL and SIGSTOP cannot be caught; the JVM keeps SIGQUIT,
     * SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGTRAP for itself.
     */
    public static final List<String> FORWARDED = List.of(
            "HUP", "INT", "TERM", "USR1", "USR2", "ALRM", "WINCH", "CONT", "TSTP", "TTIN", "TTOU", "XCPU", "XFSZ",
            "VTALRM", "PROF", "IO", "PWR", "SYS", "STKFLT");

    private Signals() {
    }

    public static String name(int signal) {
        return signal > 0 && signal < NAMES.length ? NAMES[signal] : "SIG" + signal;
    }

    public static String describe(int signal) {
        return signal > 0 && signal < DESCRIPTIONS.length ? DESCRIPTIONS[signal] : "signal " + signal;
    }
}
