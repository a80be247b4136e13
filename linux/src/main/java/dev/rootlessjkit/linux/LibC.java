package dev.rootlessjkit.linux;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.byref.IntByReference;

/** The libc functions rootlessjkit calls. Public only because jnr-ffi generates its implementation in another class loader; call {@link Linux} instead. */
public interface LibC {
    int posix_spawn(@Out IntByReference pid, String path, Pointer fileActions, Pointer attr, Pointer argv,
            Pointer envp);

    int posix_spawn_file_actions_init(Pointer fileActions);

    int posix_spawn_file_actions_destroy(Pointer fileActions);

    int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

    int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int from);

    int posix_spawnattr_init(Pointer attr);

    int posix_spawnattr_destroy(Pointer attr);

    int posix_spawnattr_setflags(Pointer attr, short flags);

    int posix_spawnattr_setsigmask(Pointer attr, Pointer sigmask);

    int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigdefault);

    int sigemptyset(Pointer set);

    int sigfillset(Pointer set);

    @SaveError
    int pthread_sigmask(int how, Pointer set, Pointer oldSet);

    @SaveError
    int waitpid(int pid, @Out IntByReference status, int options);

    @SaveError
    int kill(int pid, int signal);

    @SaveError
    int mount(String source, String target, String fsType, long flags, String data);

    @SaveError
    int umount2(String target, int flags);

    @SaveError
    int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    @SaveError
    int pipe2(@Out int[] fds, int flags);

    /** header = {version, pid}; data = {effective, permitted, inheritable} x 2 (the 64-bit sets, low half first). */
    @SaveError
    int capget(@In int[] header, @Out int[] data);

    @SaveError
    int capset(@In int[] header, @In int[] data);

    @SaveError
    int close(int fd);

    @SaveError
    int dup2(int oldfd, int newfd);

    @SaveError
    long read(int fd, @Out byte[] buf, long count);

    @SaveError
    long write(int fd, @jnr.ffi.annotations.In byte[] buf, long count);

    @SaveError
    int close_range(int first, int last, int flags);

    @SaveError
    int execve(String path, Pointer argv, Pointer envp);

    @SaveError
    int chmod(String path, int mode);

    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int socketpair(int domain, int type, int protocol, @Out int[] sv);

    @SaveError
    int ioctl(int fd, long request, Pointer arg);

    @SaveError
    int open(String path, int flags, int mode);

    @SaveError
    int setns(int fd, int nstype);

    @SaveError
    int unshare(int flags);

    @SaveError
    int poll(Pointer fds, long nfds, int timeout);

    int geteuid();

    int getegid();

    int getpid();

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

    @SaveError
    int flock(int fd, int operation);
}
