package dev.rootlessjkit.port;

/**
 * A port driver refused or failed a request. The message is meant for the user as is: the REST API returns it
 * as {@code {"message": ...}} with status 400, and the CLI prints it after {@code error: }.
 */
public class PortDriverException extends Exception {
    private static final long serialVersionUID = 1L;

    public PortDriverException(String message) {
        super(message);
    }

    public PortDriverException(String message, Throwable cause) {
        super(message, cause);
    }
}
