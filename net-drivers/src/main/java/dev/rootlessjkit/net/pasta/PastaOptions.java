package dev.rootlessjkit.net.pasta;

import dev.rootlessjkit.net.DriverFlags;
import dev.rootlessjkit.net.DriverOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * pasta's own flags.
 *
 * @param binary        --pasta-binary, never empty
 * @param implicitPorts --port-driver=implicit: pasta forwards every port bound in the namespace
 * @param udpPorts      with implicitPorts, the -p UDP ports as pasta's --udp-ports specs ({@code [address/]port}):
 *                      pasta before 2024 derives its automatic UDP forwards only from sockets bound when it starts,
 *                      which in a new namespace is none
 */
public record PastaOptions(String binary, boolean implicitPorts, List<String> udpPorts) implements DriverOptions {
    private static final String PROGRAM = "pasta";
    private static final String IMPLICIT_PORT_DRIVER = "implicit";

    public PastaOptions {
        udpPorts = List.copyOf(udpPorts);
    }

    public static PastaOptions of(DriverFlags flags) {
        final String binary = flags.value("pasta-binary");
        final boolean implicitPorts = IMPLICIT_PORT_DRIVER.equals(flags.portDriver());
        return new PastaOptions(binary.isEmpty() ? PROGRAM : binary, implicitPorts,
                implicitPorts && flags.runs() ? udpPorts(flags) : List.of());
    }

    /**
     * The -p UDP specs as pasta's {@code --udp-ports} specs: what the implicit driver forwards is the port bound
     * inside, on the same number, and Debian's pasta (2023_03_09) echoes nothing back through a translated UDP port
     * (host 18700 to namespace 7001 was measured silent; 7001 to 7001 answers). A different host port is therefore
     * said to be ignored.
     */
    private static List<String> udpPorts(DriverFlags flags) {
        final List<String> ports = new ArrayList<>();
        for (DriverFlags.PublishedPort spec : flags.published()) {
            if (spec.proto().startsWith("udp")) {
                if (spec.parentPort() != spec.childPort()) {
                    flags.warn("--port-driver=implicit forwards UDP port " + spec.childPort()
                            + " on the same number: the host port " + spec.parentPort() + " of " + spec.spec()
                            + " is ignored");
                }
                ports.add((spec.parentIP().isEmpty() ? "" : spec.parentIP() + "/") + spec.childPort());
            }
        }
        return ports;
    }
}
