package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.net.DriverFlags;
import dev.rootlessjkit.net.DriverOptions;
import java.nio.file.Path;

/**
 * usernet's own settings; it has no flags of its own.
 *
 * @param resolvConf the resolv.conf whose IPv4 nameservers the DNS forwarder asks
 */
public record UsernetOptions(Path resolvConf) implements DriverOptions {
    /**
     * Names another resolv.conf than the host's. An environment variable rather than a flag: it is for tests and odd
     * hosts, and RootlessKit's flag set, which users script against, stays as it is.
     */
    public static final String RESOLV_CONF_ENV = "ROOTLESSJKIT_USERNET_RESOLV_CONF";
    /** The host's, which the DNS forwarder asks by default. */
    public static final Path HOST_RESOLV_CONF = Path.of("/etc/resolv.conf");

    public static UsernetOptions of(DriverFlags flags) {
        final String override = flags.env(RESOLV_CONF_ENV);
        return new UsernetOptions(override == null || override.isEmpty() ? HOST_RESOLV_CONF : Path.of(override));
    }
}
