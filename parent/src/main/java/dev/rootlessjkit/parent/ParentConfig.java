package dev.rootlessjkit.parent;

import java.nio.file.Path;
import java.util.List;

/**
 * A validated command line. Every cross-flag rule has been checked by the CLI before one of these exists.
 *
 * @param stateDir      absolute --state-dir, or null for a temporary one removed on exit
 * @param mtu           0 for the driver's default
 * @param cidr          null for the driver's default
 * @param ifname        null for the driver's default
 * @param slirp4netnsSandbox "auto", "true" or "false"; auto is resolved once slirp4netns's features are known
 * @param slirp4netnsSeccomp "auto", "true" or "false", as the sandbox
 * @param copyUpDirs    absolute, normalised, never /tmp
 * @param publish       raw -p specs, parsed by the port driver issue's parser
 * @param sourceIpTransparent --source-ip-transparent: keep the client's source address on published TCP ports
 * @param reaper        --reaper resolved: auto means the value of --pidns
 * @param evacuateCgroup2 group name or null
 * @param command       CMD and its arguments, never empty
 */
public record ParentConfig(
        Path stateDir,
        NetworkMode net,
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
        String lxcUserNicBinary,
        String lxcUserNicBridge,
        List<String> copyUpDirs,
        Propagation propagation,
        PortDriverName portDriver,
        List<String> publish,
        boolean sourceIpTransparent,
        boolean pidns,
        boolean cgroupns,
        boolean utsns,
        boolean ipcns,
        boolean reaper,
        String evacuateCgroup2,
        SubidSource subidSource,
        boolean singleIdMapping,
        boolean debug,
        List<String> command) {

    public ParentConfig {
        copyUpDirs = List.copyOf(copyUpDirs);
        publish = List.copyOf(publish);
        command = List.copyOf(command);
    }

    /** --net values. The CLI accepts them all; whether a driver's program is installed is checked when it starts. */
    public enum NetworkMode {
        HOST("host"), NONE("none"), SLIRP4NETNS("slirp4netns"), PASTA("pasta"), USERNET("usernet"),
        LXC_USER_NIC("lxc-user-nic");

        public final String cliName;

        NetworkMode(String cliName) {
            this.cliName = cliName;
        }

        /** Whether the child gets a network namespace of its own. */
        public boolean newNamespace() {
            return this != HOST;
        }
    }

    /** --port-driver values. */
    public enum PortDriverName {
        NONE("none"), BUILTIN("builtin"), SLIRP4NETNS("slirp4netns"), IMPLICIT("implicit"), USERNET("usernet");

        public final String cliName;

        PortDriverName(String cliName) {
            this.cliName = cliName;
        }
    }

    /** --propagation values, the mount(2) flags applied to "/" in the child. */
    public enum Propagation {
        PRIVATE("private"), RPRIVATE("rprivate"), SHARED("shared"), RSHARED("rshared"), SLAVE("slave"),
        RSLAVE("rslave");

        public final String cliName;

        Propagation(String cliName) {
            this.cliName = cliName;
        }
    }

    /** --subid-source values. */
    public enum SubidSource {
        AUTO("auto"), DYNAMIC("dynamic"), STATIC("static");

        public final String cliName;

        SubidSource(String cliName) {
            this.cliName = cliName;
        }
    }
}
