package dev.rootlessjkit.net.usernet.flow;

/**
 * A flow as its {@link FlowTable} sees it: its key, the groups its caps count it in, and when it last carried
 * traffic. Loop only, like the table.
 */
public abstract class FlowEntry implements IdleExpiry.Watched {
    final FlowKey flowKey;
    final Object source;
    final Object destination;
    /** When the flow last carried traffic either way, on the stack's clock; kept up to date by the flow. */
    protected long lastActive;

    /**
     * @param source the group of the side that opened the flow (per-source cap), or null
     * @param destination the group of the side it was opened to (per-destination cap), or null
     */
    protected FlowEntry(FlowKey key, Object source, Object destination, long now) {
        this.flowKey = key;
        this.source = source;
        this.destination = destination;
        this.lastActive = now;
    }

    public final void touch(long now) {
        lastActive = now;
    }

    @Override
    public final long lastActive() {
        return lastActive;
    }

    public final FlowKey flowKey() {
        return flowKey;
    }

    /** Whether the flow may be ended to make room for a new one: idle long enough for its state. */
    protected abstract boolean evictable(long now);
}
