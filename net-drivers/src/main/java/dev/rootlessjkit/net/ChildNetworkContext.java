package dev.rootlessjkit.net;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * What the child half of a driver needs besides the parent's {@link dev.rootlessjkit.messages.NetworkConfig}.
 *
 * @param stateDir      the state directory, where resolv.conf, hosts and the detached netns live
 * @param etcCopiedUp   /etc is a copy-up tmpfs, so its resolv.conf and hosts can be replaced by our files
 * @param detachedNetns the namespace to configure when --detach-netns keeps the child in the host's, else null
 * @param interfaceName the interface of the driver (--ifname, or its default), for a child half that makes it
 * @param driverSocket  this half's end of the socket pair to the parent half, for drivers that asked for one at the
 *                      spawn ({@link NetworkDriverKind#driverSocket}), else -1; the half owns it
 */
public record ChildNetworkContext(Linux linux, Log log, Path stateDir, boolean etcCopiedUp, Path detachedNetns,
        String interfaceName, int driverSocket) {

    /**
     * Runs {@code action} where the child's network is: in place when the child has its own network namespace,
     * on a thread that enters {@code $STATE/netns} with --detach-netns.
     */
    public void inNetworkNamespace(String what, Callable<Void> action) throws NetworkDriverException {
        if (detachedNetns != null) {
            DetachedNetns.inNamespace(linux, detachedNetns, what, action);
            return;
        }
        try {
            action.call();
        } catch (NetworkDriverException e) {
            throw e;
        } catch (Exception e) {
            throw new NetworkDriverException("failed to " + what + ": " + e.getMessage(), e);
        }
    }
}
