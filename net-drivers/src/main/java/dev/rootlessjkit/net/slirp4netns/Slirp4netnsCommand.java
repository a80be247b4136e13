package dev.rootlessjkit.net.slirp4netns;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The slirp4netns command line, as RootlessKit builds it, plus an exit fd so it dies with us. */
final class Slirp4netnsCommand {
    /** slirp4netns writes "1" here once the TAP device is open in the namespace. */
    static final int READY_FD = 3;
    /** The read end of a pipe only the parent writes to: its closing (our exit, even by SIGKILL) stops slirp4netns. */
    static final int EXIT_FD = 4;

    private Slirp4netnsCommand() {
    }

    /**
     * @param detachedNetns the namespace file with --detach-netns, else null (slirp4netns then finds both
     *     namespaces from the PID)
     */
    static List<String> argv(Path binary, Slirp4netnsRun options, long childPid, Path detachedNetns) {
        final List<String> argv = new ArrayList<>(List.of(binary.toString(), "--mtu", Integer.toString(options.mtu()),
                "-r", Integer.toString(READY_FD), "-e", Integer.toString(EXIT_FD)));
        if (options.disableHostLoopback()) {
            argv.add("--disable-host-loopback");
        }
        if (options.cidr() != null) {
            argv.addAll(List.of("--cidr", options.cidr()));
        }
        if (options.apiSocket() != null) {
            argv.addAll(List.of("--api-socket", options.apiSocket().toString()));
        }
        if (options.sandbox()) {
            argv.add("--enable-sandbox");
        }
        if (options.seccomp()) {
            argv.add("--enable-seccomp");
        }
        if (options.ipv6()) {
            argv.add("--enable-ipv6");
        }
        if (detachedNetns == null) {
            argv.add(Long.toString(childPid));
        } else {
            argv.addAll(List.of("--userns-path=/proc/" + childPid + "/ns/user", "--netns-type=path",
                    detachedNetns.toString()));
        }
        argv.add(options.ifname());
        return argv;
    }
}
