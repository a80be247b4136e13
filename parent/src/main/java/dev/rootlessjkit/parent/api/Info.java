package dev.rootlessjkit.parent.api;

import dev.rootlessjkit.port.PortDriverInfo;

/**
 * {@code GET /v1/info}.
 *
 * @param version       our implementation version
 * @param networkDriver null with --net=host (the field is then omitted, as RootlessKit does)
 * @param portDriver    null without a port driver (omitted)
 */
public record Info(String apiVersion, String version, String stateDir, int childPID,
        NetworkDriverInfo networkDriver, PortDriverInfo portDriver) {
    /** The REST API version RootlessKit 1.1.0 and later report; clients check it. */
    public static final String API_VERSION = "1.1.1";

    public static Info of(String version, String stateDir, int childPID, NetworkDriverInfo networkDriver,
            PortDriverInfo portDriver) {
        return new Info(API_VERSION, version, stateDir, childPID, networkDriver, portDriver);
    }
}
