package dev.rootlessjkit.linux;

/** How a process ended, decoded from a wait(2) status word. */
public record WaitStatus(int raw) {
    public boolean exited() {
        return (raw & 0x7f) == 0;
    }

    public int exitCode() {
        return (raw >> 8) & 0xff;
    }

    public boolean signaled() {
        return (raw & 0x7f) != 0 && (raw & 0x7f) != 0x7f;
    }

    public int signal() {
        return raw & 0x7f;
    }

    /** The exit status a caller reports for this process: its own, or 255 when a signal ended it (as RootlessKit). */
    public int toExitCode() {
        return exited() ? exitCode() : 255;
    }

    /** Go's wording, which RootlessKit prints and scripts grep for: "exit status 42", "signal: terminated". */
    public String describe() {
        if (exited()) {
            return "exit status " + exitCode();
        }
        if (signaled()) {
            return "signal: " + Signals.describe(signal());
        }
        return String.format("exited with WAITSTATUS=0x%08x", raw);
    }
}
