package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * --net=usernet --ipv6 (issue 14): the namespace's interface on fd00::/64 as slirp4netns --enable-ipv6 gives it,
 * the stack's own addresses reached with real tools inside. Nothing leaves the machine.
 */
class UsernetIpv6IT {
    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    /**
     * The static fd00::100/64 and its default route via fd00::2 at once (no duplicate address detection to wait
     * for), the SLAAC address from the stack's router advertisement soon after, fd00::2 and fd00::3 answering ping,
     * fd00::3 as the second name server in resolv.conf and in the API's info, as RootlessKit reports slirp4netns.
     */
    @Test
    void interfaceRoutesPingResolverAndInfo() {
        final Result result = sandbox.rootless().launch("--net=usernet", "--ipv6", "--copy-up=/etc",
                "--disable-host-loopback", "sh", "-c",
                "echo addr=$(ip -o -6 addr show tap0 scope global -tentative | awk '{print $4}' | grep '::100/'); "
                        + "echo route=$(ip -6 route show default | grep -o 'via fd00::2 dev tap0'); "
                        + "echo ping=$(busybox ping -6 -c 1 -W 5 fd00::2 >/dev/null && echo ok); "
                        + "echo ping3=$(busybox ping -6 -c 1 -W 5 fd00::3 >/dev/null && echo ok); "
                        + "for i in $(seq 50); do ip -6 addr show tap0 | grep -q 'fd00::.*dynamic' && break; "
                        + "sleep 0.1; done; "
                        + "echo slaac=$(ip -o -6 addr show tap0 | grep -c 'fd00::.*dynamic'); "
                        + "echo ra=$(ip -6 route show default | grep -c 'via fe80::2 dev tap0 proto ra'); "
                        + "echo resolv=$(cat /etc/resolv.conf); "
                        + "echo info=$(curl -sS --unix-socket $ROOTLESSKIT_STATE_DIR/api.sock http://x/v1/info)")
                .run();

        Expect.exitCode(0, result);
        final Map<String, String> seen = result.keyValues();
        assertEquals("fd00::100/64", seen.get("addr"), result::describe);
        assertEquals("via fd00::2 dev tap0", seen.get("route"), result::describe);
        assertEquals("ok", seen.get("ping"), result::describe);
        assertEquals("ok", seen.get("ping3"), result::describe);
        assertEquals("1", seen.get("slaac"), () -> "no SLAAC address from the router advertisement\n"
                + result.describe());
        assertEquals("1", seen.get("ra"), result::describe);
        assertEquals("nameserver 10.0.2.3 nameserver fd00::3", seen.get("resolv"), result::describe);
        Expect.contains("\"networkDriver\":{\"driver\":\"usernet\",\"dns\":[\"10.0.2.3\",\"fd00::3\"],"
                + "\"childIP\":\"10.0.2.100\"}", seen.get("info"), result);
    }
}
