package dev.rootlessjkit.linux;

/**
 * mount(2) and umount2(2): the seam between code that decides what to mount and the kernel, so that the decisions
 * are tested by the calls they make. {@link Linux} is the real one.
 */
public interface Mounts {
    /** mount(2); null for an argument the call does not use. */
    void mount(String source, String target, String fsType, long flags, String data) throws ErrnoException;

    /** umount2(2). */
    void umount(String target, int flags) throws ErrnoException;
}
