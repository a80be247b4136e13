package dev.rootlessjkit.child;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.WaitStatus;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.messages.ChildConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntConsumer;

/** Starts CMD: either in place of the child JVM, or as its child with the JVM staying on as reaper. */
final class CommandRunner {
    /** A shell line that sets LISTEN_PID to the PID it is about to exec into: systemd checks it equals $$. */
    private static final String SET_LISTEN_PID = "LISTEN_PID=$$; export LISTEN_PID; exec \"$@\"";

    /**
     * util-linux's setpriv, which arms the parent-death signal and execs CMD: posix_spawn cannot run a prctl
     * between fork and exec, and Java cannot run code there at all.
     */
    private static final List<Path> SETPRIV = List.of(Path.of("/usr/bin/setpriv"), Path.of("/bin/setpriv"));

    private final Linux linux;
    private final Log log;

    CommandRunner(Linux linux, Log log) {
        this.linux = linux;
        this.log = log;
    }

    /** What to run: the resolved executable, argv (argv[0] as the user wrote it) and the environment. */
    record Command(String executable, List<String> argv, Map<String, String> env, int inheritedFds,
            boolean socketActivation) {
    }

    /**
     * `unshare --keep-caps` gave this JVM every capability as inheritable and ambient, and both would pass on
     * to CMD and everything it starts (dockerd, containerd, its helpers showed CapInh/CapAmb 000001ffffffffff).
     * RootlessKit's CMD starts with both empty and gets its capabilities the usual way, as uid 0 of the
     * namespace; so does ours once this thread, the one that spawns or execs, has cleared them.
     */
    private void dropCapabilitiesOfUnshare() throws ErrnoException {
        linux.clearInheritableCapabilities();
    }

    /** Replaces this JVM with CMD, so no second JVM stays resident for the life of the command. */
    void execInPlace(Command command) throws ChildException {
        if (command.socketActivation()) {
            command.env().put("LISTEN_PID", Long.toString(ProcessHandle.current().pid()));
        }
        try {
            dropCapabilitiesOfUnshare();
            linux.exec(command.executable(), command.argv(), command.env(), 3 + command.inheritedFds());
        } catch (ErrnoException e) {
            throw new ChildException("exec " + ChildConfig.describe(command.argv()) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Spawns CMD and waits for it. With {@code reapAll} every child that ends is collected too (orphans are
     * re-parented to us as PID 1 of the namespace), so no zombies accumulate.
     *
     * <p>CMD gets SIGKILL as its parent-death signal, so it never outlives this JVM: killed (the PID in
     * {@code $STATE/child_pid}) without a PID namespace, it would otherwise leave CMD running, re-parented,
     * as RootlessKit does not. The signal fires when the spawning thread ends; this one, the main thread,
     * waits for CMD until the JVM exits.
     *
     * @param started told CMD's PID once it runs, so signals can be passed on to it
     */
    WaitStatus spawnAndWait(Command command, boolean reapAll, IntConsumer started) throws ChildException {
        String executable = command.executable();
        List<String> argv = command.argv();
        if (command.socketActivation()) {
            argv = new ArrayList<>(List.of("sh", "-c", SET_LISTEN_PID, "sh", executable));
            argv.addAll(command.argv().subList(1, command.argv().size()));
            executable = "/bin/sh";
        }
        final Optional<Path> setpriv = SETPRIV.stream().filter(Files::isExecutable).findFirst();
        if (setpriv.isPresent()) {
            // setpriv execs its argument by name, so CMD sees the resolved path as argv[0].
            final List<String> wrapped = new ArrayList<>(List.of(setpriv.get().toString(), "--pdeathsig", "KILL",
                    "--", executable));
            wrapped.addAll(argv.subList(1, argv.size()));
            argv = wrapped;
            executable = setpriv.get().toString();
        } else {
            log.warn("setpriv (util-linux) not found: the command may outlive the child if the child is killed");
        }
        final int pid;
        try {
            dropCapabilitiesOfUnshare();
            pid = linux.spawn(executable, argv, command.env(), Map.of(), 3 + command.inheritedFds());
        } catch (ErrnoException e) {
            throw new ChildException("failed to start " + ChildConfig.describe(command.argv()) + ": " + e.getMessage(), e);
        }
        started.accept(pid);
        try {
            while (true) {
                final Linux.Reaped reaped = linux.waitpid(reapAll ? -1 : pid, 0);
                if (reaped == null) {
                    throw new ChildException("lost track of command " + ChildConfig.describe(command.argv()) + " (pid " + pid + ")");
                }
                if (reaped.pid() == pid) {
                    return reaped.status();
                }
            }
        } catch (ErrnoException e) {
            throw new ChildException("waiting for " + ChildConfig.describe(command.argv()) + ": " + e.getMessage(), e);
        }
    }
}
