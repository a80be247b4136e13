package dev.rootlessjkit.net.usernet.flow;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The flows of one protocol in one direction, with a cap on the whole table, per source group and per destination
 * group, so that no single peer can take the table. When a cap is reached, the oldest idle flow of that group (or of
 * the table) is ended to make room, as conntrack's early drop does, instead of refusing every newcomer; a flow that
 * carried traffic recently is skipped and moved to the back. Each admission looks at a few candidates only, so a
 * flood of new flows costs O(1) each. Loop only.
 */
public final class FlowTable<E extends FlowEntry> {
    /**
     * Candidates looked at per cap that is reached: bounded so that admission stays O(1) however many flows are
     * active; candidates skipped go to the back, so the next admission looks at others (a CLOCK sweep).
     */
    static final int EVICTION_CANDIDATES = 8;

    private final int capacity;
    private final int perSource;
    private final int perDestination;
    private final boolean evictActive;
    private final Consumer<E> evict;
    /** Every flow, oldest (or longest since it was last skipped) first. */
    private final LinkedHashMap<FlowKey, E> flows = new LinkedHashMap<>();
    private final Map<Object, LinkedHashSet<E>> bySource = new HashMap<>();
    private final Map<Object, LinkedHashSet<E>> byDestination = new HashMap<>();
    private long evictions;

    /**
     * @param evictActive when no candidate is idle enough, end the oldest anyway (UDP, where a flow costs nothing to
     *         re-create) rather than refuse the new flow (TCP, where ending one resets a connection)
     * @param evict ends a flow chosen for eviction; must {@link #remove} it before returning
     */
    public FlowTable(int capacity, int perSource, int perDestination, boolean evictActive, Consumer<E> evict) {
        if (capacity < 1 || perSource < 1 || perDestination < 1) {
            throw new IllegalArgumentException("flow table caps must be positive");
        }
        this.capacity = capacity;
        this.perSource = perSource;
        this.perDestination = perDestination;
        this.evictActive = evictActive;
        this.evict = evict;
    }

    public E get(FlowKey key) {
        return flows.get(key);
    }

    public boolean contains(FlowKey key) {
        return flows.containsKey(key);
    }

    public int size() {
        return flows.size();
    }

    /** Flows ended to make room for new ones. */
    public long evictions() {
        return evictions;
    }

    public List<E> snapshot() {
        return new ArrayList<>(flows.values());
    }

    /**
     * Makes room for a new flow from {@code source} to {@code destination}, ending idle flows where a cap is reached;
     * false when there is none to be had (the caller refuses the flow as the kernel would).
     */
    public boolean admit(Object source, Object destination, long now) {
        if (source != null && count(bySource, source) >= perSource && !evictFrom(bySource.get(source), now)) {
            return false;
        }
        if (destination != null && count(byDestination, destination) >= perDestination
                && !evictFrom(byDestination.get(destination), now)) {
            return false;
        }
        return flows.size() < capacity || evictFrom(flows.values(), now);
    }

    /** Adds a flow that {@link #admit} made room for. */
    public void put(E flow) {
        E old = flows.put(flow.flowKey, flow);
        if (old != null) {
            unlinkGroups(old);
        }
        link(bySource, flow.source, flow);
        link(byDestination, flow.destination, flow);
    }

    /** Whether {@code flow} is the one in the table under its key: not removed, nor replaced by a newer one. */
    public boolean holds(E flow) {
        return flows.get(flow.flowKey) == flow;
    }

    /** Forgets the flow if it is the one in the table under its key. */
    public void remove(E flow) {
        if (holds(flow)) {
            flows.remove(flow.flowKey);
            unlinkGroups(flow);
        }
    }

    private void unlinkGroups(E flow) {
        unlink(bySource, flow.source, flow);
        unlink(byDestination, flow.destination, flow);
    }

    private boolean evictFrom(Collection<E> oldestFirst, long now) {
        E oldest = null;
        // Never more than one round: the group's order is what it was when nothing could be ended.
        int candidates = Math.min(EVICTION_CANDIDATES, oldestFirst.size());
        for (int i = 0; i < candidates; i++) {
            Iterator<E> it = oldestFirst.iterator();
            if (!it.hasNext()) {
                return true;
            }
            E candidate = it.next();
            if (oldest == null) {
                oldest = candidate;
            }
            if (candidate.evictable(now)) {
                end(candidate);
                return true;
            }
            toBack(candidate);
        }
        if (evictActive && oldest != null && holds(oldest)) {
            end(oldest);
            return true;
        }
        return false;
    }

    private void end(E flow) {
        evictions++;
        evict.accept(flow);
        remove(flow);
    }

    /** Moves a flow that was active lately behind the others, in the table's order and in its groups'. */
    private void toBack(E flow) {
        flows.remove(flow.flowKey);
        flows.put(flow.flowKey, flow);
        requeue(bySource, flow.source, flow);
        requeue(byDestination, flow.destination, flow);
    }

    private int count(Map<Object, LinkedHashSet<E>> groups, Object group) {
        LinkedHashSet<E> members = groups.get(group);
        return members == null ? 0 : members.size();
    }

    private void link(Map<Object, LinkedHashSet<E>> groups, Object group, E flow) {
        if (group != null) {
            groups.computeIfAbsent(group, g -> new LinkedHashSet<>()).add(flow);
        }
    }

    private void unlink(Map<Object, LinkedHashSet<E>> groups, Object group, E flow) {
        if (group == null) {
            return;
        }
        LinkedHashSet<E> members = groups.get(group);
        if (members != null && members.remove(flow) && members.isEmpty()) {
            groups.remove(group);
        }
    }

    private void requeue(Map<Object, LinkedHashSet<E>> groups, Object group, E flow) {
        if (group == null) {
            return;
        }
        LinkedHashSet<E> members = groups.get(group);
        if (members != null && members.remove(flow)) {
            members.add(flow);
        }
    }
}
