package dev.rootlessjkit.linux;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;

/**
 * The libc socket calls {@link Sockets} needs. Public only because jnr-ffi generates its implementation in
 * another class loader; everything else goes through {@link Sockets}.
 */
public interface SocketLib {
    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int bind(int fd, Pointer addr, int len);

    @SaveError
    int listen(int fd, int backlog);

    @SaveError
    int connect(int fd, Pointer addr, int len);

    @SaveError
    int accept4(int fd, Pointer addr, Pointer len, int flags);

    @SaveError
    int setsockopt(int fd, int level, int name, Pointer value, int len);

    @SaveError
    int getsockopt(int fd, int level, int name, Pointer value, Pointer len);

    @SaveError
    long sendmsg(int fd, Pointer msg, int flags);

    @SaveError
    long recvmsg(int fd, Pointer msg, int flags);

    @SaveError
    int poll(Pointer fds, long nfds, int timeout);

    @SaveError
    int shutdown(int fd, int how);

    @SaveError
    int close(int fd);

    @SaveError
    int chmod(String path, int mode);

    String strerror(int errno);
}
