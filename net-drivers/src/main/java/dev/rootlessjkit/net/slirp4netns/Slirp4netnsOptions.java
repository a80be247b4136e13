package dev.rootlessjkit.net.slirp4netns;

import dev.rootlessjkit.net.api.NetworkDriverException;
import java.nio.file.Path;

/**
 * One slirp4netns run, every choice made.
 *
 * @param cidr      the --cidr to pass, or null to keep slirp4netns' default (RootlessKit passes it only when given)
 * @param apiSocket the API socket for the slirp4netns port driver, or null
 */
record Slirp4netnsOptions(int mtu, String cidr, String ifname, boolean disableHostLoopback, boolean ipv6,
        Path apiSocket, boolean sandbox, boolean seccomp) {

    /**
     * --slirp4netns-sandbox: {@code auto} enables it when supported and the namespace is not detached (the
     * sandbox joins the user namespace by PID, which a detached namespace has none of: slirp4netns#317).
     */
    static boolean resolveSandbox(String mode, boolean supported, boolean detachNetns)
            throws NetworkDriverException {
        switch (mode == null ? "" : mode) {
            case "auto":
                return supported && !detachNetns;
            case "true":
                if (detachNetns) {
                    throw new NetworkDriverException("slirp4netns sandbox is not compatible with detach-netns "
                            + "(https://github.com/rootless-containers/slirp4netns/issues/317)");
                }
                return true;
            case "false":
            case "":
                return false;
            default:
                throw new NetworkDriverException("unsupported slirp4netns-sandbox mode: \"" + mode + "\"");
        }
    }

    /** --slirp4netns-seccomp: {@code auto} enables it when both slirp4netns and the kernel support it. */
    static boolean resolveSeccomp(String mode, boolean supported, boolean kernelSupports)
            throws NetworkDriverException {
        switch (mode == null ? "" : mode) {
            case "auto":
                return supported && kernelSupports;
            case "true":
                if (!kernelSupports) {
                    throw new NetworkDriverException("kernel doesn't support seccomp");
                }
                return true;
            case "false":
            case "":
                return false;
            default:
                throw new NetworkDriverException("unsupported slirp4netns-seccomp mode: \"" + mode + "\"");
        }
    }
}
