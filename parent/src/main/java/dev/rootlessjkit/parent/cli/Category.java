package dev.rootlessjkit.parent.cli;

/** The headings under which --help groups the flags, as RootlessKit groups them. */
enum Category {
    MISC("Misc"),
    MOUNT("Mount"),
    NETWORK("Network"),
    NETWORK_PASTA("Network [pasta]"),
    NETWORK_SLIRP4NETNS("Network [slirp4netns]"),
    PORT("Port"),
    PROCESS("Process"),
    STATE("State"),
    SUBID("SubID");

    final String title;

    Category(String title) {
        this.title = title;
    }
}
