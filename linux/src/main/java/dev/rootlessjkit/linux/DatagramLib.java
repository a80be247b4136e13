package dev.rootlessjkit.linux;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;

/**
 * The libc calls {@link DatagramBatch} needs. Public only because jnr-ffi generates its implementation in another
 * class loader; kept apart from the other bindings so that only a process that forwards UDP loads them.
 */
public interface DatagramLib {
    @SaveError
    int recvmmsg(int fd, Pointer msgvec, int vlen, int flags, Pointer timeout);

    @SaveError
    int sendmmsg(int fd, Pointer msgvec, int vlen, int flags);

    String strerror(int errno);
}
