package dev.rootlessjkit.net.slirp4netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.slirp4netns.Slirp4netnsOptions.Mode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class Slirp4netnsCommandTest {
    private static final Path BINARY = Path.of("/usr/bin/slirp4netns");
    /** slirp4netns 1.2.0's --help, the option lines that matter. */
    private static final String HELP_1_2 = "Usage: slirp4netns [OPTION]... PID|PATH [TAPNAME]\n"
            + "-e, --exit-fd=FD\n-r, --ready-fd=FD\n-m, --mtu=MTU\n-6, --enable-ipv6\n-a, --api-socket=PATH\n"
            + "--cidr=CIDR\n--disable-host-loopback\n--netns-type=TYPE\n--userns-path=PATH\n--enable-sandbox\n"
            + "--enable-seccomp\n";

    private static Slirp4netnsRun defaults() {
        return new Slirp4netnsRun(65520, null, "tap0", false, false, null, false, false);
    }

    @Test
    void defaultCommandMatchesRootlessKitsPlusTheExitFd() {
        assertEquals(List.of("/usr/bin/slirp4netns", "--mtu", "65520", "-r", "3", "-e", "4", "4242", "tap0"),
                Slirp4netnsCommand.argv(BINARY, defaults(), 4242, null));
    }

    @Test
    void everyOptionInRootlessKitsOrder() {
        final Slirp4netnsRun all = new Slirp4netnsRun(1500, "10.9.0.0/24", "eth7", true, true,
                Path.of("/tmp/s/.s4nn.sock"), true, true);
        assertEquals(List.of("/usr/bin/slirp4netns", "--mtu", "1500", "-r", "3", "-e", "4", "--disable-host-loopback",
                "--cidr", "10.9.0.0/24", "--api-socket", "/tmp/s/.s4nn.sock", "--enable-sandbox", "--enable-seccomp",
                "--enable-ipv6", "99", "eth7"), Slirp4netnsCommand.argv(BINARY, all, 99, null));
    }

    @Test
    void detachedNamespaceIsGivenByPathWithTheChildsUserNamespace() {
        assertEquals(List.of("/usr/bin/slirp4netns", "--mtu", "65520", "-r", "3", "-e", "4",
                "--userns-path=/proc/77/ns/user", "--netns-type=path", "/proc/77/root/tmp/s/netns", "tap0"),
                Slirp4netnsCommand.argv(BINARY, defaults(), 77, Path.of("/proc/77/root/tmp/s/netns")));
    }

    @Test
    void featuresComeFromTheHelpText() throws NetworkDriverException {
        assertEquals(new Slirp4netnsFeatures(true, true, true, true, true, true), Slirp4netnsFeatures.parse(HELP_1_2));
        final Slirp4netnsFeatures old = Slirp4netnsFeatures.parse("--netns-type=TYPE\n--mtu\n");
        assertFalse(old.sandbox());
        final NetworkDriverException e = assertThrows(NetworkDriverException.class,
                () -> old.require(new Slirp4netnsRun(65520, null, "tap0", false, false, null, true, false)));
        assertEquals("this version of slirp4netns does not support --enable-sandbox", e.getMessage());
        assertThrows(NetworkDriverException.class, () -> Slirp4netnsFeatures.parse("--mtu\n"));
    }

    @Test
    void sandboxModes() throws NetworkDriverException {
        assertTrue(Slirp4netnsRun.resolveSandbox(Mode.AUTO, true, false));
        assertFalse(Slirp4netnsRun.resolveSandbox(Mode.AUTO, true, true));
        assertFalse(Slirp4netnsRun.resolveSandbox(Mode.AUTO, false, false));
        assertTrue(Slirp4netnsRun.resolveSandbox(Mode.TRUE, false, false));
        assertFalse(Slirp4netnsRun.resolveSandbox(Mode.FALSE, true, false));
        assertThrows(NetworkDriverException.class, () -> Slirp4netnsRun.resolveSandbox(Mode.TRUE, true, true));
    }

    @Test
    void seccompModes() throws NetworkDriverException {
        assertTrue(Slirp4netnsRun.resolveSeccomp(Mode.AUTO, true, true));
        assertFalse(Slirp4netnsRun.resolveSeccomp(Mode.AUTO, true, false));
        assertFalse(Slirp4netnsRun.resolveSeccomp(Mode.AUTO, false, true));
        assertTrue(Slirp4netnsRun.resolveSeccomp(Mode.TRUE, true, true));
        assertEquals("kernel doesn't support seccomp", assertThrows(NetworkDriverException.class,
                () -> Slirp4netnsRun.resolveSeccomp(Mode.TRUE, true, false)).getMessage());
        assertFalse(Slirp4netnsRun.resolveSeccomp(Mode.FALSE, true, true));
    }

    @Test
    void childConfigurationFollowsTheCidr() {
        assertEquals(new NetworkConfig("tap0", "10.0.2.100", 24, "10.0.2.2", List.of("10.0.2.3"), 65520, null),
                Slirp4netnsParentDriver.networkConfig(defaults()));
        final Slirp4netnsRun custom = new Slirp4netnsRun(1500, "172.30.0.0/16", "eth0", false, true, null,
                false, false);
        assertEquals(new NetworkConfig("eth0", "172.30.0.100", 16, "172.30.0.2", List.of("172.30.0.3", "fd00::3"),
                1500, null), Slirp4netnsParentDriver.networkConfig(custom));
    }
}
