package dev.rootlessjkit.port.slirp4netns;

import dev.rootlessjkit.port.GoText;
import dev.rootlessjkit.port.IpLiteral;
import dev.rootlessjkit.port.ParentPortDriver;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortDriverKind;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortSpecValidator;
import dev.rootlessjkit.port.PortStatus;
import dev.rootlessjkit.port.UnknownPortException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code --port-driver=slirp4netns}: slirp4netns (started by the network driver with {@code --api-socket}) listens
 * on the host and forwards into the namespace itself, keeping the client's source address. No child half. IDs are
 * slirp4netns' own. IPv4 only, as in RootlessKit.
 */
public final class Slirp4netnsParentPortDriver implements ParentPortDriver {

    private final Slirp4netnsApi api;
    private final Map<Integer, PortStatus> ports = new TreeMap<>();

    /** @param apiSocket the API socket of the slirp4netns the network driver runs */
    public Slirp4netnsParentPortDriver(Path apiSocket) {
        this.api = new Slirp4netnsApi(apiSocket);
    }

    @Override
    public PortDriverInfo info() {
        return new PortDriverInfo(PortDriverKind.SLIRP4NETNS.cliName, List.of("tcp", "tcp4", "udp", "udp4"), true);
    }

    @Override
    public Map<String, String> opaqueForChild() {
        return Map.of();
    }

    /** slirp4netns was ready before the port driver starts: one request checks that its API answers. */
    @Override
    public void start(Duration timeout) throws PortDriverException {
        api.listHostForwards();
    }

    @Override
    public synchronized PortStatus addPort(PortSpec spec) throws PortDriverException {
        PortSpecValidator.validate(spec, ports.values());
        if (spec.proto().endsWith("6")) {
            throw new PortDriverException("unsupported protocol " + GoText.quote(spec.proto()));
        }
        final String proto = spec.proto().endsWith("4") ? spec.proto().substring(0, spec.proto().length() - 1)
                : spec.proto();
        final int id = api.addHostForward(proto, spec.parentIP(), spec.parentPort(), guestAddress(spec),
                spec.childPort());
        final PortStatus status = new PortStatus(id, spec);
        ports.put(id, status);
        return status;
    }

    /**
     * The address inside: the spec's child IP when IPv4, else empty, which makes slirp4netns use the address it
     * recommends to the namespace (cidr+100), the one the child configured.
     */
    static String guestAddress(PortSpec spec) throws PortDriverException {
        if (spec.childIP().isEmpty()) {
            return "";
        }
        final byte[] ip = IpLiteral.parse(spec.childIP());
        if (ip == null) {
            throw new PortDriverException("invalid IP: " + GoText.quote(spec.childIP()));
        }
        if (ip.length != 4) {
            throw new PortDriverException("unsupported IP (v6?): " + spec.childIP());
        }
        return (ip[0] & 0xff) + "." + (ip[1] & 0xff) + "." + (ip[2] & 0xff) + "." + (ip[3] & 0xff);
    }

    @Override
    public synchronized List<PortStatus> listPorts() {
        return new ArrayList<>(ports.values());
    }

    @Override
    public synchronized void removePort(int id) throws PortDriverException {
        if (!ports.containsKey(id)) {
            throw new UnknownPortException(id);
        }
        api.removeHostForward(id);
        ports.remove(id);
    }

    /** The forwards end with slirp4netns, which the network driver stops. */
    @Override
    public synchronized void close() {
        ports.clear();
    }
}
