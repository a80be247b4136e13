package dev.rootlessjkit.net.slirp4netns;

import dev.rootlessjkit.net.api.NetworkDriverException;
import java.nio.file.Path;

/**
 * One slirp4netns run, every choice made.
 *
 * @param cidr      the --cidr to pass, or null to keep slirp4netns' default (RootlessKit passes it only when given)
 * @param apiSocket the API socket for the slirp4netns port driver, or null
 */
record Slirp4netnsRun(int mtu, String cidr, String ifname, boolean disableHostLoopback, boolean ipv6,
        Path apiSocket, boolean sandbox, boolean seccomp) {

    /**
     * --slirp4netns-sandbox: {@code auto} enables it when supported and the namespace is not detached (the
     * sandbox joins the user namespace by PID, which a detached namespace has none of: slirp4netns#317).
     */
    static boolean resolveSandbox(Slirp4netnsOptions.Mode mode, boolean supported, boolean detachNetns)
            throws NetworkDriverException {
        return switch (mode) {
            case AUTO -> supported && !detachNetns;
            case TRUE -> {
                if (detachNetns) {
                    throw new NetworkDriverException("slirp4netns sandbox is not compatible with detach-netns "
                            + "(https://github.com/rootless-containers/slirp4netns/issues/317)");
                }
                yield true;
            }
            case FALSE -> false;
        };
    }

    /** --slirp4netns-seccomp: {@code auto} enables it when both slirp4netns and the kernel support it. */
    static boolean resolveSeccomp(Slirp4netnsOptions.Mode mode, boolean supported, boolean kernelSupports)
            throws NetworkDriverException {
        return switch (mode) {
            case AUTO -> supported && kernelSupports;
            case TRUE -> {
                if (!kernelSupports) {
                    throw new NetworkDriverException("kernel doesn't support seccomp");
                }
                yield true;
            }
            case FALSE -> false;
        };
    }
}
