package dev.rootlessjkit.parent.api;

import dev.rootlessjkit.net.api.PortCounters;
import dev.rootlessjkit.port.PortDriverInfo;

/**
 * {@code GET /v1/info}.
 *
 * @param version       our implementation version
 * @param networkDriver null with --net=host (the field is then omitted, as RootlessKit does)
 * @param portDriver    null without a port driver (omitted)
 * @param portCounters  ours: what every port of the port driver has carried (removed ports included), null (omitted)
 *                      when the driver reports no counters
 */
public record Info(String apiVersion, String version, String stateDir, int childPID,
        NetworkDriverInfo networkDriver, PortDriverInfo portDriver, PortCounters portCounters) {
    /** The REST API version RootlessKit 1.1.0 and later report; clients check it. */
    public static final String API_VERSION = "1.1.1";

    public static Info of(String version, String stateDir, int childPID, NetworkDriverInfo networkDriver,
            PortDriverInfo portDriver) {
        return new Info(API_VERSION, version, stateDir, childPID, networkDriver, portDriver, null);
    }

    /** This info with the port driver's counters as they are now. */
    public Info withPortCounters(PortCounters counters) {
        return new Info(apiVersion, version, stateDir, childPID, networkDriver, portDriver, counters);
    }
}
