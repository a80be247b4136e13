package dev.rootlessjkit.net.usernet.tcp;

/**
 * The memory that all of a stack's {@link ReorderQueue}s may pin together. Each queue has its own cap (the receive
 * window), but a guest with thousands of connections could otherwise hold a window's worth of out-of-order
 * segments in every one of them; with this shared cap it can hold at most this much, and once it is taken further
 * out-of-order segments are dropped (the guest resends them) while in-order data keeps flowing on every connection.
 * Loop only.
 */
final class ReorderBudget {
    private final long maxBytes;
    private long usedBytes;

    ReorderBudget(long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("the reorder budget must be positive");
        }
        this.maxBytes = maxBytes;
    }

    /** Charges {@code bytes} if they fit; false (nothing charged) when they do not. */
    boolean take(int bytes) {
        if (usedBytes + bytes > maxBytes) {
            return false;
        }
        usedBytes += bytes;
        return true;
    }

    void give(int bytes) {
        usedBytes -= bytes;
    }

    long usedBytes() {
        return usedBytes;
    }
}
