package dev.rootlessjkit.messages;

/**
 * How the parent starts the child JVM: its main class and the environment variables that carry what the handshake
 * cannot (the fds it runs on). Here, below both, so that the parent does not compile against the child.
 */
public final class ChildLaunch {
    /** The child JVM's entry point; the child module's tests check that the name is right. */
    public static final String MAIN_CLASS = "dev.rootlessjkit.child.ChildMain";
    /** Names the two pipe fds, "READ,WRITE"; set by the parent, never passed on to CMD. */
    public static final String PIPE_FD_ENV = "_ROOTLESSJKIT_PIPEFD";
    /** With --pidns: the launcher's standard error, to put back on fd 2 (unshare's fd 2 is a pipe to the parent). */
    public static final String STDERR_FD_ENV = "_ROOTLESSJKIT_STDERR_FD";
    /** The child's end of the socket pair to the network driver's parent half, for drivers that want one. */
    public static final String DRIVER_SOCKET_ENV = "_ROOTLESSJKIT_DRIVER_SOCKET";
    /** "true" when the parent received systemd's sockets for itself and passes them on (LISTEN_FDS). */
    public static final String ACTIVATION_ENV = "_ROOTLESSJKIT_SOCKET_ACTIVATION";

    private ChildLaunch() {
    }
}
