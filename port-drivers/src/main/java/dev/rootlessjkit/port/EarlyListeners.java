package dev.rootlessjkit.port;

import dev.rootlessjkit.linux.Sockets;
import java.util.ArrayList;
import java.util.List;

/**
 * The -p listeners the parent binds right after the spawn, before the port driver exists (the driver needs the state
 * directory and the network driver): from then on a client that comes early waits in a listener's backlog, a
 * datagram in its receive buffer, instead of being refused. The driver takes each socket over with
 * {@link ParentPortDriver#addPort(PortSpec, int)}. Only for drivers whose own sockets listen; slirp4netns listens by
 * itself once it runs.
 */
public final class EarlyListeners implements AutoCloseable {
    private final List<String> protos;
    private final PreboundListeners prebound;
    private final SpecSockets fds = new SpecSockets();
    private Sockets sockets;

    /**
     * @param protos   the protocols the driver forwards; empty for a driver that binds no sockets of the parent's
     * @param prebound sockets the parent bound before the spawn, taken over here when they match a spec
     */
    EarlyListeners(List<String> protos, PreboundListeners prebound) {
        this.protos = protos;
        this.prebound = prebound;
    }

    /**
     * Checks {@code spec} against the ones before it as the driver would, and binds it when the driver forwards its
     * protocol (else the driver reports the spec itself).
     *
     * @throws PortDriverException the driver's own error for the spec: a conflict, or the failed bind in Go's words
     */
    public void listen(PortSpec spec) throws PortDriverException {
        if (protos.isEmpty()) {
            return;
        }
        final List<PortStatus> before = new ArrayList<>(fds.size());
        fds.specs().forEach(s -> before.add(new PortStatus(before.size() + 1, s)));
        PortSpecValidator.validate(spec, before);
        if (!protos.contains(spec.proto())) {
            return;
        }
        if (sockets == null) {
            sockets = Sockets.load();
        }
        final int adopted = prebound.take(spec);
        fds.put(spec, adopted >= 0 ? adopted
                : HostListeners.listen(sockets, spec, Proto.of(spec.proto()).orElseThrow()));
    }

    /** The socket bound for {@code spec}, the caller's from now on; -1 when none was. */
    public int take(PortSpec spec) {
        return fds.take(spec);
    }

    /** Closes the sockets nobody took, and what was bound before that no spec claimed. */
    @Override
    public void close() {
        fds.closeAll(sockets);
        prebound.close();
    }
}
