package dev.rootlessjkit.linux;

import java.util.function.IntSupplier;
import sun.misc.Signal;

/**
 * Passes the signals this process receives on to another process, as RootlessKit's sigproxy does: the
 * parent relays to the child, the child to CMD. Until a target is known (the supplier returns 0 or less) a
 * signal is remembered and handed to {@code early}, so a Ctrl-C during start-up still ends the run.
 */
public final class SignalRelay {
    private final Linux linux;
    private final IntSupplier target;
    private final SignalSink early;

    /** Receives a signal that arrived while there was no target yet. */
    @FunctionalInterface
    public interface SignalSink {
        void accept(int signal);
    }

    private SignalRelay(Linux linux, IntSupplier target, SignalSink early) {
        this.linux = linux;
        this.target = target;
        this.early = early;
    }

    /** Installs handlers for every signal in {@link Signals#FORWARDED}. */
    public static SignalRelay install(Linux linux, IntSupplier target, SignalSink early) {
        final SignalRelay relay = new SignalRelay(linux, target, early);
        for (String name : Signals.FORWARDED) {
            Signal.handle(new Signal(name), relay::relay);
        }
        return relay;
    }

    private void relay(Signal signal) {
        final int pid = target.getAsInt();
        if (pid <= 0) {
            early.accept(signal.getNumber());
            return;
        }
        try {
            linux.kill(pid, signal.getNumber());
        } catch (ErrnoException e) {
            // The target has just exited; its exit status, collected elsewhere, tells the rest of the story.
        }
    }
}
