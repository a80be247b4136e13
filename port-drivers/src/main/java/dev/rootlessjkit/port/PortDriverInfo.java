package dev.rootlessjkit.port;

import java.util.List;

/** What {@code GET /v1/info} reports about the port driver. */
public record PortDriverInfo(String driver, List<String> protos, boolean disallowLoopbackChildIP) {
    public PortDriverInfo {
        protos = List.copyOf(protos);
    }
}
