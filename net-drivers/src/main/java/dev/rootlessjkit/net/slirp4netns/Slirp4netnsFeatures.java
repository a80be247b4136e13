package dev.rootlessjkit.net.slirp4netns;

import dev.rootlessjkit.net.api.NetworkDriverException;

/**
 * What the installed slirp4netns can do, read from its {@code --help} as RootlessKit does: option names are
 * stable, version strings of distribution builds are not.
 */
record Slirp4netnsFeatures(boolean ipv6, boolean cidr, boolean disableHostLoopback, boolean apiSocket,
        boolean sandbox, boolean seccomp) {

    /**
     * @throws NetworkDriverException when the program is older than v0.4.0 (no {@code --netns-type}), which lacks
     *     the ready fd this driver waits on
     */
    static Slirp4netnsFeatures parse(String help) throws NetworkDriverException {
        if (!help.contains("--netns-type")) {
            throw new NetworkDriverException("slirp4netns seems older than v0.4.0: install a newer slirp4netns");
        }
        return new Slirp4netnsFeatures(help.contains("--enable-ipv6"), help.contains("--cidr"),
                help.contains("--disable-host-loopback"), help.contains("--api-socket"),
                help.contains("--enable-sandbox"), help.contains("--enable-seccomp"));
    }

    /** Refuses options this slirp4netns lacks, with RootlessKit's messages. */
    void require(Slirp4netnsRun options) throws NetworkDriverException {
        check(!options.ipv6() || ipv6, "--enable-ipv6");
        check(options.cidr() == null || cidr, "--cidr");
        check(!options.disableHostLoopback() || disableHostLoopback, "--disable-host-loopback");
        check(options.apiSocket() == null || apiSocket, "--api-socket");
        check(!options.sandbox() || sandbox, "--enable-sandbox");
        check(!options.seccomp() || seccomp, "--enable-seccomp");
    }

    private static void check(boolean ok, String option) throws NetworkDriverException {
        if (!ok) {
            throw new NetworkDriverException("this version of slirp4netns does not support " + option);
        }
    }
}
