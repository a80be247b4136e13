package dev.rootlessjkit.net;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import java.nio.file.Path;

/**
 * What the child half of a driver needs besides the parent's {@link dev.rootlessjkit.messages.NetworkConfig}.
 *
 * @param stateDir      the state directory, where resolv.conf, hosts and the detached netns live
 * @param etcCopiedUp   /etc is a copy-up tmpfs, so its resolv.conf and hosts can be replaced by our files
 * @param detachedNetns the namespace to configure when --detach-netns keeps the child in the host's, else null
 */
public record ChildNetworkContext(Linux linux, Log log, Path stateDir, boolean etcCopiedUp, Path detachedNetns) {
}
