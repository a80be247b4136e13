package dev.rootlessjkit.messages;

import java.io.IOException;

/** A frame that cannot be a message: truncated, oversized, empty or not valid JSON for any message. */
public final class FrameException extends IOException {
    private static final long serialVersionUID = 1L;

    public FrameException(String message) {
        super(message);
    }
}
