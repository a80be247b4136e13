package dev.rootlessjkit.net.pasta;

import dev.rootlessjkit.net.Ipv4Network;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pasta command line: RootlessKit's flags, but pasta stays in the foreground as our child (so we know its
 * PID and stop it) under {@code setpriv --pdeathsig KILL}, so that it dies with the parent even by SIGKILL; the
 * PID file it writes once the namespace is configured tells us it is ready.
 *
 * @param mtu                 never 0
 * @param implicitPorts       --port-driver=implicit: pasta forwards every port bound in the namespace
 * @param udpPorts            with implicitPorts, the -p UDP specs in pasta's form; when there are any, pasta forwards
 *                            exactly those UDP ports instead of scanning (see {@link PastaOptions#udpPorts})
 * @param hostLoToNsLo        pasta has --host-lo-to-ns-lo (2024_10_30+), which keeps host 127.0.0.1 ports reaching
 *                            the namespace's loopback
 */
record PastaCommand(Path setpriv, Path pasta, Path pidFile, String ifname, int mtu, Ipv4Network network,
        boolean disableHostLoopback, boolean ipv6, boolean implicitPorts, List<String> udpPorts,
        boolean hostLoToNsLo) {

    /**
     * Whether {@code --tcp-ns=none --udp-ns=none} go with --disable-host-loopback. pasta before 2024 (e.g.
     * Debian's 2023_03_09) stops scanning for ports to publish when --tcp-ns is not auto, which would break
     * --port-driver=implicit; there, only --no-map-gw is passed, as RootlessKit 2.x does. --host-lo-to-ns-lo
     * (2024_10_30) tells the versions apart.
     */
    boolean blocksNamespaceToHostPorts() {
        return !implicitPorts || hostLoToNsLo;
    }

    /** @param detachedNetns the namespace file with --detach-netns, else null (pasta then joins the PID's) */
    List<String> argv(long childPid, Path detachedNetns) {
        final List<String> argv = new ArrayList<>(List.of(setpriv.toString(), "--pdeathsig", "KILL", "--",
                pasta.toString(), "--foreground", "--pid=" + pidFile, "--stderr", "--ns-ifname=" + ifname,
                "--mtu=" + mtu, "--config-net", "--address=" + network.childAddress(),
                "--netmask=" + network.prefixLength(), "--gateway=" + network.gateway(),
                "--dns-forward=" + network.dns()));
        if (disableHostLoopback) {
            argv.add("--no-map-gw");
            if (blocksNamespaceToHostPorts()) {
                // --no-map-gw alone still lets the namespace reach host loopback ports through pasta's splice
                // path from its own loopback (RootlessKit #612): stop forwarding namespace→host ports too.
                argv.addAll(List.of("--tcp-ns=none", "--udp-ns=none"));
            }
        }
        if (!ipv6) {
            argv.add("--ipv4-only");
        }
        final String ports = implicitPorts ? "auto" : "none";
        argv.add("--tcp-ports=" + ports);
        if (implicitPorts && !udpPorts.isEmpty()) {
            // pasta takes no explicit port next to auto; one spec per option, since an address applies to it all.
            udpPorts.forEach(spec -> argv.add("--udp-ports=" + spec));
        } else {
            argv.add("--udp-ports=" + ports);
        }
        if (hostLoToNsLo) {
            argv.add("--host-lo-to-ns-lo");
        }
        if (detachedNetns == null) {
            argv.add(Long.toString(childPid));
        } else {
            argv.addAll(List.of("--userns=/proc/" + childPid + "/ns/user", "--netns=" + detachedNetns));
        }
        return argv;
    }
}
