package dev.rootlessjkit.net;

/**
 * The network flags of the command line, made and checked once by the CLI and read as they are by the network
 * driver's parent half. Zero, null or empty means the driver's default.
 *
 * @param kind               the driver that runs (for a name another driver serves, that driver)
 * @param portDriver         the --port-driver name: slirp4netns opens its API socket for its port driver, pasta
 *                           forwards ports itself for {@code implicit}
 * @param slirp4netnsSandbox "auto", "true" or "false"; auto is resolved once slirp4netns's features are known
 * @param slirp4netnsSeccomp "auto", "true" or "false", as the sandbox
 * @param lxcUserNicBinary   --lxc-user-nic-binary, "" when none was given or found
 */
public record NetworkOptions(
        NetworkDriverKind kind,
        int mtu,
        String cidr,
        String ifname,
        boolean disableHostLoopback,
        boolean ipv6,
        boolean detachNetns,
        String slirp4netnsBinary,
        String slirp4netnsSandbox,
        String slirp4netnsSeccomp,
        String pastaBinary,
        String portDriver,
        String lxcUserNicBinary,
        String lxcUserNicBridge) {

    /** The child's interface: --ifname, else tap0 as RootlessKit's drivers. */
    public String interfaceName() {
        return ifname == null || ifname.isEmpty() ? "tap0" : ifname;
    }
}
