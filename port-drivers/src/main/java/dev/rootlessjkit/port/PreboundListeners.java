package dev.rootlessjkit.port;

import dev.rootlessjkit.linux.Sockets;
import java.util.List;

/**
 * -p sockets bound as the parent's first act, right after the native bindings load and before the child is spawned:
 * from then on a client that comes early waits in the backlog instead of being refused, as RootlessKit's
 * integration-port.sh expects of a port one second after the launch. {@link EarlyListeners} takes each socket over
 * once the driver's listeners are due. They are bound as the driver binds them ({@link HostListeners}, Go's
 * semantics); what cannot be bound here (a port in use, a spec that does not parse) is left to EarlyListeners, which
 * binds it or reports it in Go's words.
 *
 * <p>They used to be bound with the JDK's own channels before the native bindings loaded, when those took 100 ms and
 * more (jnr-ffi): the JDK's NIO start-up then cost the launch 45-50 ms before the spawn, more than jffi's loading.
 */
public final class PreboundListeners implements AutoCloseable {
    private final SpecSockets fds = new SpecSockets();
    private final Sockets sockets;

    private PreboundListeners(Sockets sockets) {
        this.sockets = sockets;
    }

    /** Nothing bound: for runs without -p, and for tests of what comes after. */
    public static PreboundListeners none() {
        return new PreboundListeners(null);
    }

    /** Binds what it can of the raw -p {@code specs} that {@code portDriver} serves from sockets of the parent's. */
    public static PreboundListeners bind(PortDriverKind portDriver, Sockets sockets, List<String> specs) {
        final PreboundListeners prebound = new PreboundListeners(sockets);
        final List<String> protos = portDriver.listenedProtos();
        for (String raw : specs) {
            try {
                final PortSpec spec = PortSpecParser.parse(raw);
                final Proto proto = Proto.of(spec.proto()).orElse(null);
                if (proto != null && protos.contains(spec.proto()) && !prebound.fds.contains(spec)) {
                    prebound.fds.put(spec, HostListeners.listen(sockets, spec, proto));
                }
            } catch (PortDriverException e) {
                // EarlyListeners binds it again and says what is wrong, as the driver would.
            }
        }
        return prebound;
    }

    /** How many sockets are bound and not taken yet. */
    public int size() {
        return fds.size();
    }

    /** The socket bound for {@code spec}, the caller's from now on; -1 when none was bound. */
    public int take(PortSpec spec) {
        return fds.take(spec);
    }

    /** Closes the sockets nobody took. */
    @Override
    public void close() {
        fds.closeAll(sockets);
    }
}
