package dev.rootlessjkit.linux;

import jnr.constants.Constant;

/**
 * The errno values rootlessjkit tells apart, as this machine's kernel numbers them: read from jnr-constants' table
 * for Linux on this architecture, the same table its {@code jnr.constants.platform.Errno} resolves to, but looked
 * up directly. The library's own resolution first asks the class loader for a table named after {@code os.arch},
 * which for amd64 does not exist, so the loader opened and searched every jar on the class path; it then formats
 * its package names with String.format, whose first call starts the JDK's locale providers. That was 29 ms of
 * the parent before it spawned the child, and 21 ms of the child before it started CMD with the builtin port
 * driver (class-init log, JDK 25); this costs one enum's initialisation.
 */
public final class Errno {
    /** Read once, before the values below: each of them is looked up in this architecture's table. */
    private static final String ARCH = System.getProperty("os.arch", "");
    public static final int ENOENT = value("ENOENT");
    public static final int EINTR = value("EINTR");
    public static final int EIO = value("EIO");
    public static final int ECHILD = value("ECHILD");
    public static final int EBADF = value("EBADF");
    public static final int EAGAIN = value("EAGAIN");
    public static final int EWOULDBLOCK = value("EWOULDBLOCK");
    public static final int EACCES = value("EACCES");
    public static final int EINVAL = value("EINVAL");
    public static final int ENFILE = value("ENFILE");
    public static final int EMFILE = value("EMFILE");
    public static final int EPIPE = value("EPIPE");
    public static final int ENAMETOOLONG = value("ENAMETOOLONG");
    public static final int ELOOP = value("ELOOP");
    public static final int EMSGSIZE = value("EMSGSIZE");
    public static final int EAFNOSUPPORT = value("EAFNOSUPPORT");
    public static final int EADDRINUSE = value("EADDRINUSE");
    public static final int EADDRNOTAVAIL = value("EADDRNOTAVAIL");
    public static final int ENETUNREACH = value("ENETUNREACH");
    public static final int ECONNABORTED = value("ECONNABORTED");
    public static final int ECONNRESET = value("ECONNRESET");
    public static final int ETIMEDOUT = value("ETIMEDOUT");
    public static final int ECONNREFUSED = value("ECONNREFUSED");
    public static final int EHOSTUNREACH = value("EHOSTUNREACH");
    public static final int EINPROGRESS = value("EINPROGRESS");

    private Errno() {
    }

    /**
     * The value of {@code name} in jnr-constants' table for this architecture: the architectures it has a table of
     * their own for, by {@code os.arch} as it matches them; every other one shares the generic Linux table.
     */
    static int value(String name) {
        final Constant constant = switch (ARCH) {
            case "aarch64" -> jnr.constants.platform.linux.aarch64.Errno.valueOf(name);
            case "s390x" -> jnr.constants.platform.linux.s390x.Errno.valueOf(name);
            case "mips64el" -> jnr.constants.platform.linux.mips64el.Errno.valueOf(name);
            case "loongarch64" -> jnr.constants.platform.linux.loongarch64.Errno.valueOf(name);
            case "powerpc64" -> jnr.constants.platform.linux.powerpc64.Errno.valueOf(name);
            default -> jnr.constants.platform.linux.Errno.valueOf(name);
        };
        return constant.intValue();
    }
}
