package dev.rootlessjkit.linux;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;

/**
 * The libc calls {@link Tap} and {@link IcmpSockets} need. Public only because jnr-ffi generates its implementation
 * in another class loader; kept apart from {@link LibC} so these additions stay in files of their own.
 */
public interface NetLib {
    @SaveError
    int open(String path, int flags);

    @SaveError
    int ioctl(int fd, long request, Pointer arg);

    @SaveError
    int ioctl(int fd, long request, long arg);

    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int close(int fd);

    String strerror(int errno);
}
