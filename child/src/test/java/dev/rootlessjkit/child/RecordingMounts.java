package dev.rootlessjkit.child;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Mounts;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Records the mount calls instead of making them, optionally fails chosen ones as the kernel would, and lets a test
 * play a call's effect on the file system where the code under test reads it back.
 */
final class RecordingMounts implements Mounts {
    private static final int EPERM = 1;

    /** One mount(2) call; an umount2(2) is recorded with fsType "umount" and its flags. */
    record Call(String source, String target, String fsType, long flags, String data) {
    }

    /** What a call does to the file system the test looks at. */
    interface Effect {
        void apply(Call call) throws IOException;
    }

    private final List<Call> calls = new ArrayList<>();
    private Predicate<Call> failing = call -> false;
    private Effect effect = call -> { };

    /** Calls that match fail with EPERM, as mount(2) unprivileged or over a locked mount does; still recorded. */
    RecordingMounts failing(Predicate<Call> which) {
        this.failing = which;
        return this;
    }

    RecordingMounts withEffect(Effect effect) {
        this.effect = effect;
        return this;
    }

    @Override
    public void mount(String source, String target, String fsType, long flags, String data) throws ErrnoException {
        record(new Call(source, target, fsType, flags, data), "mount",
                (fsType == null ? source : fsType) + " on " + target);
    }

    @Override
    public void umount(String target, int flags) throws ErrnoException {
        record(new Call(null, target, "umount", flags, null), "umount", target);
    }

    private void record(Call call, String name, String subject) throws ErrnoException {
        calls.add(call);
        if (failing.test(call)) {
            throw new ErrnoException(name, subject, EPERM, "Operation not permitted");
        }
        try {
            effect.apply(call);
        } catch (IOException e) {
            throw new IllegalStateException("the test's effect of " + call + " failed", e);
        }
    }

    List<Call> calls() {
        return List.copyOf(calls);
    }
}
