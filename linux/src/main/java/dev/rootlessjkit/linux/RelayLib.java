package dev.rootlessjkit.linux;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * The libc calls {@link Splice} and {@link Epoll} need. Public only because jnr-ffi generates its implementation in
 * another class loader; kept apart from {@link LibC} so that only a process that relays loads them.
 */
public interface RelayLib {
    @SaveError
    int pipe2(@Out int[] fds, int flags);

    @SaveError
    int fcntl(int fd, int cmd, int arg);

    @SaveError
    long splice(int fdIn, Pointer offIn, int fdOut, Pointer offOut, long len, int flags);

    @SaveError
    int shutdown(int fd, int how);

    @SaveError
    int setsockopt(int fd, int level, int name, @In int[] value, int len);

    @SaveError
    int close(int fd);

    @SaveError
    int epoll_create1(int flags);

    @SaveError
    int epoll_ctl(int epfd, int op, int fd, Pointer event);

    @SaveError
    int epoll_wait(int epfd, Pointer events, int maxEvents, int timeout);

    @SaveError
    int eventfd(int initval, int flags);

    @SaveError
    long read(int fd, Pointer buf, long count);

    @SaveError
    long write(int fd, Pointer buf, long count);

    String strerror(int errno);
}
