package dev.rootlessjkit.parent.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every user mistake is a UsageException with one line of text; arguments are split on spaces. */
class CliErrorsTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiterString = " :: ", textBlock = """
            '' :: no command specified
            --pidns :: no command specified
            -- :: no command specified
            --foo true :: unknown flag: --foo
            --foo=bar true :: unknown flag: --foo
            -x true :: unknown flag: -x
            --net :: flag needs an argument: --net
            --pidns=yes true :: invalid boolean value "yes" for --pidns
            --pidns= true :: invalid boolean value "" for --pidns
            --net=foo true :: unknown network mode: foo
            --net=vpnkit true :: --net=vpnkit: VPNKit binary "vpnkit" not found in $PATH: install it, point --vpnkit-binary at it, or use --net=usernet, --net=slirp4netns or --net=pasta
            --net=vpnkit --vpnkit-binary=/nonexistent/vpnkit true :: --net=vpnkit: VPNKit binary "/nonexistent/vpnkit" not found in $PATH: install it, point --vpnkit-binary at it, or use --net=usernet, --net=slirp4netns or --net=pasta
            --net=vpnkit --vpnkit-binary=/bin/true true :: --net=vpnkit is not supported by rootlessjkit yet: use --net=usernet, --net=slirp4netns or --net=pasta
            --net=vpnkit --cidr=10.0.3.0/24 true :: custom cidr is not supported for --net=vpnkit
            --net=lxc-user-nic --lxc-user-nic-binary=/nonexistent/lxc-user-nic true :: --net=lxc-user-nic: lxc-user-nic not found at "/nonexistent/lxc-user-nic": install lxc (Debian: apt-get install lxc), point --lxc-user-nic-binary at it, or use --net=usernet, --net=slirp4netns or --net=pasta
            --net=lxc-user-nic --cidr=10.0.3.0/24 true :: custom cidr is not supported for --net=lxc-user-nic
            --net=gvisor-tap-vsock --ipv6 true :: --ipv6 is not supported for gvisor-tap-vsock
            --net=slirp4netns --port-driver=gvisor-tap-vsock true :: port driver requires usernet or gvisor-tap-vsock network
            --port-driver=foo true :: unknown port driver: foo
            --mtu=70000 --net=slirp4netns true :: mtu must be <= 65521, got 70000
            --mtu=-1 true :: mtu must be <= 65521, got -1
            --mtu=abc true :: invalid value "abc" for --mtu: not an integer
            --net=slirp4netns --cidr=10.0.2.100/24 true :: cidr must be like 10.0.2.0/24, not like 10.0.2.100/24
            --net=slirp4netns --cidr=10.0.2.0 true :: invalid CIDR address: 10.0.2.0 (expected an IPv4 network like 10.0.2.0/24)
            --net=slirp4netns --cidr=10.0.2.0/33 true :: invalid CIDR address: 10.0.2.0/33 (expected an IPv4 network like 10.0.2.0/24)
            --net=slirp4netns --cidr=010.0.2.0/24 true :: invalid CIDR address: 010.0.2.0/24 (expected an IPv4 network like 10.0.2.0/24)
            --net=slirp4netns --cidr=fd00::/64 true :: invalid CIDR address: fd00::/64 (expected an IPv4 network like 10.0.2.0/24)
            --cidr=10.0.2.0/24 true :: custom cidr is not supported for --net=host
            --net=none --cidr=10.0.2.0/24 true :: custom cidr is not supported for --net=none
            --ifname=eth0 true :: ifname cannot be specified for --net=host
            --net=none --ifname=eth0 true :: ifname cannot be specified for --net=none
            --net=usernet --ifname=a/b true :: ifname must not contain "/"
            --net=usernet --ifname=abcdefghijklmnop true :: ifname must be at most 15 characters, got "abcdefghijklmnop"
            --net=none --port-driver=slirp4netns true :: network "none" requires either port driver "none" or "builtin"
            --net=pasta --port-driver=builtin true :: network "pasta" requires port driver "none" or "implicit"
            --port-driver=builtin true :: port driver requires non-host network
            --net=slirp4netns --port-driver=implicit true :: port driver requires pasta network
            --net=usernet --port-driver=slirp4netns true :: port driver requires slirp4netns network
            --net=slirp4netns --port-driver=usernet true :: port driver requires usernet or gvisor-tap-vsock network
            --net=slirp4netns -p 127.0.0.1:8080:80/tcp true :: port driver "none" does not support publishing ports
            --copy-up-mode=overlayfs true :: unknown copy-up mode: overlayfs
            --reaper=maybe true :: unknown reaper mode: maybe
            --reaper=true true :: reaper requires --pidns
            --evacuate-cgroup2=evac --pidns true :: evacuate-cgroup2 requires --cgroupns
            --evacuate-cgroup2=evac --cgroupns true :: evacuate-cgroup2 requires --pidns
            --evacuate-cgroup2=a/b --cgroupns --pidns true :: unexpected evacuation group name "a/b": must not contain "/"
            --subid-source=x true :: unknown subid source "x"
            --print-semver=x :: expected --print-semver=(major|minor|patch), got "x"
            --propagation=rpivate true :: unknown propagation: rpivate
            --slirp4netns-sandbox=x true :: unsupported slirp4netns-sandbox mode: "x"
            --slirp4netns-seccomp=yes true :: unsupported slirp4netns-seccomp mode: "yes"
            --net=slirp4netns --slirp4netns-sandbox=true --detach-netns true :: --slirp4netns-sandbox conflicts with --detach-netns
            --copy-up=/tmp true :: /tmp cannot be copied up
            --copy-up=/tmp/ true :: /tmp cannot be copied up
            --copy-up=//tmp/../tmp true :: /tmp cannot be copied up
            --copy-up=etc true :: copy-up directory must be an absolute path, got "etc"
            --copy-up=/etc, true :: copy-up directory must be an absolute path, got ""
            --copy-up=/etc --propagation=rshared true :: propagation rshared does not support copy-up driver tmpfs+symlink
            --copy-up=/etc --propagation=shared true :: propagation shared does not support copy-up driver tmpfs+symlink
            """)
    void rejects(String args, String message) {
        String[] argv = args.isEmpty() ? new String[0] : args.split(" ");
        UsageException e = assertThrows(UsageException.class, () -> Cli.parse(argv));
        assertEquals(message, e.getMessage());
        assertEquals(0, e.getStackTrace().length, "no stack trace is recorded for user mistakes");
    }
}
