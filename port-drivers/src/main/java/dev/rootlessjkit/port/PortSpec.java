package dev.rootlessjkit.port;

/**
 * One published port, in RootlessKit's terms. IPs are kept as the user wrote them (the API echoes them back);
 * an empty IP means "unspecified". Not validated by construction: see {@link PortSpecValidator}.
 *
 * @param proto      tcp, tcp4, tcp6, udp, udp4, udp6 (sctp* parse but no driver here supports them)
 * @param parentIP   host address to listen on; empty for every address
 * @param parentPort host port
 * @param childIP    address to connect to inside the namespace; empty for the driver's default
 * @param childPort  port to connect to inside the namespace
 */
public record PortSpec(String proto, String parentIP, int parentPort, String childIP, int childPort) {
    public PortSpec {
        proto = proto == null ? "" : proto;
        parentIP = parentIP == null ? "" : parentIP;
        childIP = childIP == null ? "" : childIP;
    }

    /** The spec as a user writes it ({@code 127.0.0.1:8080:80/tcp}, {@code [::1]:8080:80/tcp6}), for messages. */
    @Override
    public String toString() {
        return host(parentIP) + parentPort + ":" + host(childIP) + childPort + "/" + proto;
    }

    private static String host(String ip) {
        if (ip.isEmpty()) {
            return "";
        }
        return (ip.contains(":") ? "[" + ip + "]" : ip) + ":";
    }
}
