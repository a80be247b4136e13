package dev.rootlessjkit.net.api;

import java.nio.file.Path;

/**
 * Where the parent half finds the child's network namespace.
 *
 * @param childPid   host PID of a process inside the child's namespaces
 * @param stateDir   the state directory, for sockets and files of the driver
 * @param netnsPath  the namespace as a file ({@code /proc/PID/ns/net}, or the bind mount of --detach-netns)
 * @param tapFd      the TAP device the child created and passed (usernet), which the driver takes over; else -1
 */
public record NetworkContext(long childPid, Path stateDir, Path netnsPath, int tapFd) {
}
