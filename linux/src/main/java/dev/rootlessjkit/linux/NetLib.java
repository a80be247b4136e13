package dev.rootlessjkit.linux;

import jnr.ffi.annotations.SaveError;

/** The libc calls {@link IcmpSockets} needs. Public only because jnr-ffi generates its implementation in another class loader. */
public interface NetLib {
    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int close(int fd);

    String strerror(int errno);
}
