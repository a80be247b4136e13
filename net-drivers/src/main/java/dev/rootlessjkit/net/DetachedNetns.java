package dev.rootlessjkit.net;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The network namespace of {@code --detach-netns}: the command stays in the host's, the new one is kept alive by
 * a bind mount at {@code $STATE/netns}, visible in the child's mount namespace only.
 *
 * <p>A JVM cannot move itself into a namespace, but one thread can: the kernel keeps the network namespace per
 * task. Each step here runs on a short-lived thread of its own, so no other thread ever changes namespace and no
 * helper process is needed.
 */
public final class DetachedNetns {
    public static final String FILE_NAME = "netns";

    private DetachedNetns() {
    }

    /** Where the child bind-mounts the namespace. */
    public static Path inStateDir(Path stateDir) {
        return stateDir.resolve(FILE_NAME);
    }

    /** The same file as the parent (in the host's mount namespace) reaches it: through the child's root. */
    public static Path fromParent(long childPid, Path stateDir) {
        return Path.of("/proc", Long.toString(childPid), "root").resolve(
                Path.of("/").relativize(stateDir.toAbsolutePath().normalize())).resolve(FILE_NAME);
    }

    /**
     * Creates a new network namespace and bind-mounts it at {@code $STATE/netns} (an empty file made for it,
     * 0400 as RootlessKit makes it). Must run in the child, which may mount.
     */
    public static Path create(Linux linux, Path stateDir) throws NetworkDriverException {
        final Path target = inStateDir(stateDir);
        try {
            Files.deleteIfExists(target);
            Files.createFile(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r--------")));
        } catch (IOException e) {
            throw new NetworkDriverException("failed to create " + target + ": " + e, e);
        }
        onOwnThread("create the detached network namespace", () -> {
            linux.unshareNetworkOfThisThread();
            linux.mount("/proc/thread-self/ns/net", target.toString(), null, Linux.MS_BIND, null);
            return null;
        });
        return target;
    }

    /** Runs {@code action} on a fresh thread that first enters the namespace at {@code netns}. */
    public static <T> T inNamespace(Linux linux, Path netns, String what, Callable<T> action)
            throws NetworkDriverException {
        return onOwnThread(what, () -> {
            linux.enterNamespace(netns.toString(), Linux.CLONE_NEWNET);
            return action.call();
        });
    }

    private static <T> T onOwnThread(String what, Callable<T> action) throws NetworkDriverException {
        final FutureTask<T> task = new FutureTask<>(action);
        final Thread thread = new Thread(task, "rootlessjkit-netns");
        thread.start();
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetworkDriverException("interrupted while trying to " + what, e);
        } catch (ExecutionException e) {
            final Throwable cause = e.getCause();
            if (cause instanceof NetworkDriverException) {
                throw (NetworkDriverException) cause;
            }
            throw new NetworkDriverException("failed to " + what + ": " + describe(cause), cause);
        }
    }

    private static String describe(Throwable t) {
        return t instanceof ErrnoException ? t.getMessage() : t.toString();
    }
}
