package dev.rootlessjkit.net.lxcusernic;

import dev.rootlessjkit.net.DriverFlags;
import dev.rootlessjkit.net.DriverOptions;

/**
 * lxc-user-nic's own flags.
 *
 * @param binary --lxc-user-nic-binary, "" when none was given or found (the parent half then says how to get one)
 * @param bridge --lxc-user-nic-bridge, never empty
 */
public record LxcUserNicOptions(String binary, String bridge) implements DriverOptions {
    private static final String DEFAULT_BRIDGE = "lxcbr0";

    public static LxcUserNicOptions of(DriverFlags flags) {
        final String bridge = flags.value("lxc-user-nic-bridge");
        return new LxcUserNicOptions(flags.value("lxc-user-nic-binary"), bridge.isEmpty() ? DEFAULT_BRIDGE : bridge);
    }
}
