package dev.rootlessjkit.net.api;

import java.nio.file.Path;

/**
 * Where the parent half finds the child's network namespace.
 *
 * @param childPid   host PID of a process inside the child's namespaces
 * @param stateDir   the state directory, for sockets and files of the driver
 * @param netnsPath  the namespace as a file ({@code /proc/PID/ns/net}, or the bind mount of --detach-netns)
 * @param driverSocket the parent's end of the socket pair to the driver's child half, for drivers that asked for one
 *                     at the spawn, else -1; the caller closes it after the run
 */
public record NetworkContext(long childPid, Path stateDir, Path netnsPath, int driverSocket) {
}
