package dev.rootlessjkit.parent.cli;

/** The headings under which --help groups the flags, as RootlessKit groups them. */
enum Category {
    MISC("Misc"),
    MOUNT("Mount"),
    NETWORK("Network"),
    NETWORK_PASTA("Network [pasta]"),
    NETWORK_SLIRP4NETNS("Network [slirp4netns]"),
    NETWORK_VPNKIT("Network [vpnkit]"),
    NETWORK_LXC_USER_NIC("Network [lxc-user-nic]"),
    PORT("Port"),
    PROCESS("Process"),
    STATE("State"),
    SUBID("SubID");

    final String title;

    Category(String title) {
        this.title = title;
    }
}
