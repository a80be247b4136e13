package dev.rootlessjkit.linux;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * The libc functions of the socket, netlink and TAP code ({@link Linux} calls its own through jffi). Public only
 * because jnr-ffi generates its implementation in another class loader.
 */
public interface LibC {
    @SaveError
    int kill(int pid, int signal);

    @SaveError
    int pipe2(@Out int[] fds, int flags);

    @SaveError
    int close(int fd);

    @SaveError
    long read(int fd, @Out byte[] buf, long count);

    @SaveError
    long write(int fd, @In byte[] buf, long count);

    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int socketpair(int domain, int type, int protocol, @Out int[] sv);

    @SaveError
    int ioctl(int fd, long request, Pointer arg);

    @SaveError
    int open(String path, int flags, int mode);

    @SaveError
    int poll(Pointer fds, long nfds, int timeout);

    String strerror(int errno);

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
    int getsockname(int fd, Pointer addr, Pointer len);

    @SaveError
    int fcntl(int fd, int cmd, int arg);

    @SaveError
    long sendmsg(int fd, Pointer msg, int flags);

    @SaveError
    long recvmsg(int fd, Pointer msg, int flags);

    @SaveError
    int shutdown(int fd, int how);
}
