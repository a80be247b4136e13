package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.port.IpLiteral;
import dev.rootlessjkit.port.PortSpec;

/**
 * The address the child half connects to inside the namespace: the spec's child IP when given; otherwise the
 * parent IP when it is a loopback address (so {@code -p 127.0.0.2:8080:80} and {@code -p [::1]:8080:80} reach the
 * same address inside, as RootlessKit ≥ 2.3.2 does); otherwise 127.0.0.1, where a server bound to 0.0.0.0, [::] or
 * 127.0.0.1 inside answers.
 */
record ChildTarget(byte[] address, int port) {
    private static final byte[] LOOPBACK4 = {127, 0, 0, 1};

    static ChildTarget of(PortSpec spec) {
        if (!spec.childIP().isEmpty()) {
            return new ChildTarget(IpLiteral.parse(spec.childIP()), spec.childPort());
        }
        final byte[] parent = spec.parentIP().isEmpty() ? null : IpLiteral.parse(spec.parentIP());
        if (parent != null && isLoopback(parent)) {
            return new ChildTarget(parent, spec.childPort());
        }
        return new ChildTarget(LOOPBACK4, spec.childPort());
    }

    private static boolean isLoopback(byte[] a) {
        if (a.length == 4) {
            return a[0] == 127;
        }
        for (int i = 0; i < 15; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[15] == 1;
    }
}
