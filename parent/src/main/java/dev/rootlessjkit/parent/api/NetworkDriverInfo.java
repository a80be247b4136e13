package dev.rootlessjkit.parent.api;

import java.util.List;

/**
 * The {@code networkDriver} object of {@code GET /v1/info}; empty/false fields are omitted.
 *
 * @param dns     DNS server addresses the child was given
 * @param childIP the child's address, empty when unknown
 */
public record NetworkDriverInfo(String driver, List<String> dns, String childIP, boolean dynamicChildIP) {
    public NetworkDriverInfo {
        dns = dns == null ? List.of() : List.copyOf(dns);
        childIP = childIP == null ? "" : childIP;
    }
}
