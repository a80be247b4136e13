package dev.rootlessjkit.net;

/**
 * The network flags of the command line, as the drivers see them. Zero, null or empty means the driver's
 * default. {@code portDriver} is the --port-driver name: slirp4netns opens its API socket for its port driver,
 * pasta forwards ports itself for {@code implicit}. {@code lxcUserNicBinary} and {@code lxcUserNicBridge} are
 * --lxc-user-nic-binary and --lxc-user-nic-bridge.
 */
public record NetworkOptions(
        String driver,
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
