package dev.rootlessjkit.port;

/** The same proto, parent IP and parent port are already published under another ID. */
public final class PortConflictException extends PortDriverException {
    private static final long serialVersionUID = 1L;
    private final int conflictingId;

    public PortConflictException(int conflictingId) {
        super("conflict with ID " + conflictingId);
        this.conflictingId = conflictingId;
    }

    public int conflictingId() {
        return conflictingId;
    }
}
