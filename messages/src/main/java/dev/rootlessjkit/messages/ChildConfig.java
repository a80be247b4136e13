package dev.rootlessjkit.messages;

import java.util.List;

/**
 * The child's part of the command line, already validated by the parent, so the child needs no CLI parser.
 *
 * @param stateDir         absolute state directory, also given to the command as ROOTLESSKIT_STATE_DIR
 * @param network          network driver name ("host", "none", ...)
 * @param newNetNs         whether the child runs in a network namespace of its own (false with --detach-netns)
 * @param detachNetNs      keep the command in the host network namespace, with the new one at $STATE/netns
 * @param propagation      mount propagation of "/" in the child
 * @param copyUpDirs       directories replaced by tmpfs with symlinks into the original
 * @param pidNs            the child is PID 1 of a new PID namespace and remounts /proc
 * @param reaper           the child stays as a reaper of CMD and every orphan instead of exec'ing CMD in place
 * @param evacuateCgroup2  cgroup2 group name the parent evacuated into, or null
 * @param command          CMD and its arguments
 * @param debug            log debug lines
 * @param interfaceName    the network driver's interface (--ifname or its default), for a child half that makes it
 *                         (usernet's TAP device); null without a network namespace
 */
public record ChildConfig(
        String stateDir,
        String network,
        boolean newNetNs,
        boolean detachNetNs,
        String propagation,
        List<String> copyUpDirs,
        boolean pidNs,
        boolean reaper,
        String evacuateCgroup2,
        List<String> command,
        boolean debug,
        String interfaceName) {

    public ChildConfig {
        copyUpDirs = copyUpDirs == null ? List.of() : List.copyOf(copyUpDirs);
        command = command == null ? List.of() : List.copyOf(command);
    }

    /** CMD as RootlessKit shows it in messages: {@code [sh -c exit 1]}. */
    public static String describe(java.util.List<String> argv) {
        return "[" + String.join(" ", argv) + "]";
    }
}
