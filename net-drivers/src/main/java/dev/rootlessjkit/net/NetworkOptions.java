package dev.rootlessjkit.net;

import java.util.List;

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
 * @param pastaUdpPorts      with --port-driver=implicit, the -p UDP ports as pasta's --udp-ports specs
 *                           ({@code [address/]port}): pasta before 2024 derives its automatic UDP forwards only
 *                           from sockets bound when it starts, which in a new namespace is none
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
        String lxcUserNicBridge,
        List<String> pastaUdpPorts) {

    public NetworkOptions {
        pastaUdpPorts = pastaUdpPorts == null ? List.of() : List.copyOf(pastaUdpPorts);
    }

    /** The child's interface: --ifname, else tap0 as RootlessKit's drivers. */
    public String interfaceName() {
        return ifname == null || ifname.isEmpty() ? "tap0" : ifname;
    }
}
