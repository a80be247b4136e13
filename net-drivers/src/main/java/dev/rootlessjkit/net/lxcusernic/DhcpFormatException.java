package dev.rootlessjkit.net.lxcusernic;

/** A packet that is not a well-formed DHCP answer; the client ignores it and keeps waiting. */
public final class DhcpFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public DhcpFormatException(String message) {
        super(message);
    }
}
