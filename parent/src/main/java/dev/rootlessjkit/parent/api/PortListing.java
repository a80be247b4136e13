package dev.rootlessjkit.parent.api;

import dev.rootlessjkit.net.api.PortCounters;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;

/**
 * One element of {@code GET /v1/ports}: RootlessKit's {@code port.Status} ({@code id}, {@code spec}), then our
 * {@code counters}, omitted for drivers that report none. RootlessKit's clients decode the list with Go's
 * encoding/json, which skips a field its struct does not have; the fields before it are byte for byte theirs.
 *
 * @param counters the port's counters, or null
 */
public record PortListing(int id, PortSpec spec, PortCounters counters) {
    /** RootlessKit's part. */
    public PortStatus status() {
        return new PortStatus(id, spec);
    }
}
