package dev.rootlessjkit.linux;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;

/**
 * The libc calls {@link PacketSockets} needs. Public only because jnr-ffi generates its implementation in another
 * class loader; a file of its own so that these additions do not touch {@link LibC} or {@link NetLib}.
 */
public interface PacketLib {
    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int bind(int fd, Pointer addr, int len);

    @SaveError
    int getsockname(int fd, Pointer addr, Pointer len);

    @SaveError
    long sendto(int fd, Pointer buf, long len, int flags, Pointer addr, int addrLen);

    @SaveError
    long recv(int fd, Pointer buf, long len, int flags);

    @SaveError
    int poll(Pointer fds, long nfds, int timeout);

    @SaveError
    int if_nametoindex(String name);

    @SaveError
    int ioctl(int fd, long request, Pointer arg);

    @SaveError
    int close(int fd);

    String strerror(int errno);
}
