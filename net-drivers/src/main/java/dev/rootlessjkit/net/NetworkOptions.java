package dev.rootlessjkit.net;

import java.util.Objects;

/**
 * The network flags every driver shares, made and checked once by the CLI and read as they are by the network
 * driver's halves, with the running driver's own options. Zero or null means the driver's default.
 *
 * @param kind   the driver that runs (for a name another driver serves, that driver)
 * @param driver the options of {@code kind} alone, made by its registry entry
 */
public record NetworkOptions(
        NetworkDriverKind kind,
        int mtu,
        String cidr,
        String ifname,
        boolean disableHostLoopback,
        boolean ipv6,
        boolean detachNetns,
        DriverOptions driver) {

    public NetworkOptions {
        Objects.requireNonNull(driver, "driver");
    }

    /** The child's interface: --ifname, else tap0 as RootlessKit's drivers. */
    public String interfaceName() {
        return ifname == null || ifname.isEmpty() ? "tap0" : ifname;
    }

    /**
     * The driver's own options as its type. Its registry entry made them, so the type always matches; a mismatch is
     * a bug, reported as a {@link ClassCastException}.
     */
    public <T extends DriverOptions> T driver(Class<T> type) {
        return type.cast(driver);
    }
}
