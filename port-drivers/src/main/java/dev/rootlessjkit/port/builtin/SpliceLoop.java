package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Epoll;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Splice;
import dev.rootlessjkit.log.Log;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * One thread that runs {@link SpliceRelay}s: it waits on its own epoll instance and lets each relay move what
 * its events allow. A relay stays on the loop it started on, so relays need no locking; other threads hand work
 * over with {@link #execute}.
 *
 * <p>Sockets are watched edge-triggered for input and output from start to end, so no event needs re-arming: a
 * relay moves bytes until EAGAIN, and the kernel reports the next change.
 */
final class SpliceLoop extends EpollLoop {
    private static final int WATCHED = Epoll.IN | Epoll.OUT | Epoll.EDGE_TRIGGERED;

    private final Splice splice;
    private final SpliceRelays relays;
    /** By relay ID; an event's token is the ID shifted left, with the low bit set for the backend's socket. */
    private final Map<Long, SpliceRelay> running = new HashMap<>();
    private long nextId;

    SpliceLoop(Splice splice, SpliceRelays relays, String name, Log log) throws ErrnoException {
        super(splice, name, "splice relays", "the splice relays are closed", log);
        this.splice = splice;
        this.relays = relays;
        startThread();
    }

    /**
     * Starts relaying between two connected non-blocking sockets, taking ownership of both; when no pipes can be
     * had (the fd budget is spent, or EMFILE) the owner gets them back through {@link SpliceRelay.Owner#fallBack}.
     * Loop thread only.
     */
    void start(int client, int backend, SpliceRelay.Owner owner) {
        if (!relays.reservePipes()) {
            owner.fallBack("splice pipes already take the " + relays.pipeFdBudget()
                    + " fds set aside for them");
            return;
        }
        final int[] up;
        final int[] down;
        try {
            up = splice.pipe();
        } catch (ErrnoException e) {
            relays.releasePipes();
            owner.fallBack(e.getMessage());
            return;
        }
        try {
            down = splice.pipe();
        } catch (ErrnoException e) {
            splice.close(up[0]);
            splice.close(up[1]);
            relays.releasePipes();
            owner.fallBack(e.getMessage());
            return;
        }
        // As the buffer relay's channels have it (Netty sets it on the sockets it wraps: the client's already is).
        splice.noDelay(backend);
        final SpliceRelay relay = new SpliceRelay(this, splice, nextId++, client, backend, up, down,
                relays.pipeBytes(), owner);
        running.put(relay.id, relay);
        if (!owner.track(relay)) {
            release(relay, true);
            return;
        }
        try {
            epoll.add(client, WATCHED, relay.id << 1);
            epoll.add(backend, WATCHED, relay.id << 1 | 1);
        } catch (ErrnoException e) {
            log.debug("builtin port driver: " + e.getMessage());
            release(relay, true);
        }
    }

    /**
     * Forgets {@code relay}, stops watching its sockets and closes its fds (the sockets unless the buffer relay
     * takes them over). Loop thread only, once per relay.
     */
    void release(SpliceRelay relay, boolean withSockets) {
        running.remove(relay.id);
        epoll.remove(relay.client());
        epoll.remove(relay.backend());
        // Before the fds, whose release completes the relay's close: whoever waited for that sees the budget back.
        relays.releasePipes();
        relay.releaseFds(withSockets);
    }

    @Override
    void onEvent(long token, int events) {
        final SpliceRelay relay = running.get(token >>> 1);
        // Null when an earlier event of this batch closed it.
        if (relay != null) {
            relay.onEvent((token & 1) != 0, events);
        }
    }

    /** Closes every relay of this loop as it stops. */
    @Override
    void closing() {
        new ArrayList<>(running.values()).forEach(SpliceRelay::close);
    }
}
