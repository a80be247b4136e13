package dev.rootlessjkit.port;

/** bind(2) failed with EACCES on a port below net.ipv4.ip_unprivileged_port_start; the message says what to do. */
public final class PrivilegedPortException extends ListenException {
    private static final long serialVersionUID = 1L;

    public PrivilegedPortException(int port, int unprivilegedPortStart, String listenError, int errno) {
        super("cannot expose privileged port " + port + ", you can add 'net.ipv4.ip_unprivileged_port_start=" + port
                + "' to /etc/sysctl.conf (currently " + unprivilegedPortStart + "), or choose a larger port number (>= "
                + unprivilegedPortStart + "): " + listenError, errno);
    }
}
