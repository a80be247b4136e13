package dev.rootlessjkit.port;

import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.PortCounters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A parent port driver that listens on the host itself (builtin, usernet) and hands each port's listener to a
 * server of the driver's own, {@code S}: the builtin driver's forwarders, usernet's stack. A port listens from its
 * addition on, before {@link #start} too, and is served from {@link #start} on: until then the kernel holds what
 * arrives (connections in the backlog, datagrams in the receive buffer). This keeps the table of ports by ID (never
 * reused) and what removed ports carried; a subclass says how a port is checked, served, counted and stopped.
 */
public abstract class HostListenerDriver<S> implements ParentPortDriver {
    protected final Sockets sockets;
    protected final Log log;
    private final Map<Integer, Port<S>> ports = new TreeMap<>();
    /** What removed ports carried; guarded by {@code this}. */
    private PortCounters removed = PortCounters.NONE;
    private boolean started;
    private boolean closed;
    private int nextId = 1;

    /** A published port: its listener alone (listenFd, no server) until the driver serves it, then its server. */
    private record Port<S>(PortStatus status, Proto proto, int listenFd, S server) {
    }

    protected HostListenerDriver(Sockets sockets, Log log) {
        this.sockets = sockets;
        this.log = log;
    }

    /** The protocol {@code spec} names, once it is known to be one this driver forwards (and the rest valid). */
    protected abstract Proto protocol(PortSpec spec) throws PortDriverException;

    /**
     * A server for the port, which owns {@code listenFd} from now on and has closed it if this throws.
     *
     * @param proto what {@link #protocol} said of the spec
     */
    protected abstract S serve(PortSpec spec, Proto proto, int listenFd) throws PortDriverException;

    /** What the server has counted so far. */
    protected abstract PortCounters counters(S server);

    /** Closes the server's listener and every connection or flow it carries before it returns. */
    protected abstract void stop(S server) throws Exception;

    /** What must be up before the ports are served; nothing unless the driver says otherwise. */
    protected void awaitReady(Duration timeout) throws PortDriverException {
    }

    /** Frees what the driver holds besides its ports, once they are closed. */
    protected void closeDriver() {
    }

    /** Waits for {@link #awaitReady}, then serves every port added so far, with what its listener held meanwhile. */
    @Override
    public final synchronized void start(Duration timeout) throws PortDriverException {
        if (started) {
            return;
        }
        awaitReady(timeout);
        started = true;
        for (Port<S> port : new ArrayList<>(ports.values())) {
            if (port.server() == null) {
                // Out of the table first: a listener that fails to be served is closed, and its port is gone.
                ports.remove(port.status().id());
                ports.put(port.status().id(), served(port));
            }
        }
    }

    @Override
    public final PortStatus addPort(PortSpec spec) throws PortDriverException {
        return addPort(spec, -1);
    }

    /** Listens at once, before {@link #start} too: until the driver serves the port, the kernel holds what arrives. */
    @Override
    public final synchronized PortStatus addPort(PortSpec spec, int listenFd) throws PortDriverException {
        final Proto proto;
        try {
            if (closed) {
                throw new PortDriverException("the " + info().driver() + " port driver is closed");
            }
            PortSpecValidator.validate(spec, ports.values().stream().map(Port::status).toList());
            proto = protocol(spec);
        } catch (PortDriverException e) {
            if (listenFd >= 0) {
                sockets.close(listenFd);
            }
            throw e;
        }
        final Port<S> listening = new Port<>(new PortStatus(nextId, spec), proto,
                listenFd >= 0 ? listenFd : HostListeners.listen(sockets, spec, proto), null);
        final Port<S> port = started ? served(listening) : listening;
        nextId++;
        ports.put(port.status().id(), port);
        log.debug((started ? "published " : "listening for ") + port.status());
        return port.status();
    }

    private Port<S> served(Port<S> port) throws PortDriverException {
        final S server = serve(port.status().spec(), port.proto(), port.listenFd());
        return new Port<>(port.status(), port.proto(), -1, server);
    }

    @Override
    public final synchronized List<PortStatus> listPorts() {
        final List<PortStatus> list = new ArrayList<>(ports.size());
        ports.values().forEach(port -> list.add(port.status()));
        return list;
    }

    @Override
    public final synchronized Map<Integer, PortCounters> portCounters() {
        final Map<Integer, PortCounters> counters = new TreeMap<>();
        ports.forEach((id, port) -> counters.put(id, countersOf(port)));
        return counters;
    }

    @Override
    public final synchronized PortCounters totalCounters() {
        PortCounters total = removed;
        for (Port<S> port : ports.values()) {
            total = total.plus(countersOf(port));
        }
        return total;
    }

    /** Nothing has moved through a port that is not served yet. */
    private PortCounters countersOf(Port<S> port) {
        return port.server() == null ? PortCounters.zero(port.proto().isTcp()) : counters(port.server());
    }

    /**
     * Out of the table at once, then stopped outside the lock: a server may wait seconds for its connections to
     * close, and the other ports are not held up meanwhile.
     */
    @Override
    public final void removePort(int id) throws PortDriverException {
        final Port<S> port;
        synchronized (this) {
            port = ports.remove(id);
        }
        if (port == null) {
            throw new UnknownPortException(id);
        }
        try {
            stopPort(port);
        } catch (Exception e) {
            throw new PortDriverException("cannot remove port " + id + ": " + e.getMessage(), e);
        } finally {
            synchronized (this) {
                // After the stop, so that what the port's last connections carried is in.
                removed = removed.plus(countersOf(port).ended());
            }
        }
        log.debug("removed " + port.status());
    }

    private void stopPort(Port<S> port) throws Exception {
        if (port.server() == null) {
            sockets.close(port.listenFd());
        } else {
            stop(port.server());
        }
    }

    @Override
    public final void close() {
        final List<Port<S>> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(ports.values());
            ports.clear();
        }
        for (Port<S> port : open) {
            try {
                stopPort(port);
            } catch (Exception e) {
                log.debug("cannot close " + port.status() + ": " + e.getMessage());
            }
        }
        closeDriver();
    }
}
