package dev.rootlessjkit.port.builtin;

import java.io.IOException;

/** The child half could not connect inside the namespace, or could not be asked to. */
final class ConnectFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    ConnectFailedException(String message) {
        super(message);
    }
}
