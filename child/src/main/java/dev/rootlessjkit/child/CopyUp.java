package dev.rootlessjkit.child;

import dev.rootlessjkit.linux.TempDirs;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Mounts;
import dev.rootlessjkit.log.IoErrors;
import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code tmpfs+symlink} copy-up, as RootlessKit does it: a directory is covered by an empty tmpfs, so the
 * command may add, remove and replace entries without touching the host, and every top-level entry of the
 * original reappears as a symlink: a symlink of the original is recreated with the same target (it sits at its
 * original depth, so a relative target resolves as before), anything else points into a hidden bind mount of
 * the original ({@code DIR/.roNNNN/NAME}). Scripts rely on that: containerd-rootless.sh runs
 * {@code rm -f /etc/containerd} and dockerd-rootless.sh {@code rm -f /run/docker} to put their own in place,
 * which fails on a real directory. Inside a symlinked subdirectory, writes reach the original, as with
 * RootlessKit.
 *
 * <p>Where we differ (RootlessKit issue #225): inside {@code DIR/.roNNNN/NAME} a relative link that climbs out
 * of DIR ({@code /etc/ssl/ca-bundle.pem -> ../../var/lib/...} on openSUSE) resolves one level too deep, into
 * DIR. A subdirectory holding such a link gets its own bind mount at DIR's depth ({@code DIR/.roMMMM}), from
 * which every relative link resolves as on the host; only those subdirectories cost a mount.
 */
final class CopyUp {
    private final Mounts mounts;
    private final Log log;
    /** Where each original is bound while its directory gets the tmpfs: it cannot be copied up itself. */
    private final Path scratchParent;

    CopyUp(Mounts mounts, Log log) {
        this(mounts, log, Path.of("/tmp"));
    }

    /** With another scratch directory than /tmp, for tests that must not depend on the host's. */
    CopyUp(Mounts mounts, Log log, Path scratchParent) {
        this.mounts = mounts;
        this.log = log;
        this.scratchParent = scratchParent;
    }

    void copyUp(List<String> dirs) throws ChildException {
        if (dirs.isEmpty()) {
            return;
        }
        final Path scratch;
        try {
            scratch = TempDirs.create(scratchParent, "rootlessjkit-b");
        } catch (IOException e) {
            throw new ChildException("failed to create a temporary directory for copy-up: " + e.getMessage(), e);
        }
        try {
            for (String dir : dirs) {
                copyUpOne(Path.of(dir).normalize(), scratch);
            }
        } finally {
            try {
                Files.deleteIfExists(scratch);
            } catch (IOException e) {
                log.warn("could not remove " + scratch + ": " + e.getMessage());
            }
        }
    }

    private void copyUpOne(Path dir, Path scratch) throws ChildException {
        if (dir.equals(scratchParent)) {
            throw new ChildException(scratchParent + " cannot be copied up");
        }
        if (!Files.isDirectory(dir)) {
            throw new ChildException("cannot copy up " + dir + ": not a directory");
        }
        try {
            final int mode = mode(dir);
            mounts.mount(dir.toString(), scratch.toString(), null, Linux.MS_BIND | Linux.MS_REC, null);
            mounts.mount("tmpfs", dir.toString(), "tmpfs", 0, "mode=" + Integer.toOctalString(mode));
            final Path hidden = TempDirs.create(dir, ".ro");
            mounts.mount(scratch.toString(), hidden.toString(), null, Linux.MS_MOVE, null);
            linkEntries(dir, hidden);
            log.debug("copied up " + dir);
        } catch (ErrnoException e) {
            throw new ChildException("failed to copy up " + dir + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ChildException("failed to copy up " + dir + ": " + IoErrors.describe(e) + " ("
                    + e.getMessage() + ")", e);
        }
    }

    /** Puts one symlink in {@code dir} (the tmpfs) per entry of {@code hidden} (the original, bound). */
    private void linkEntries(Path dir, Path hidden) throws IOException, ErrnoException {
        final List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(hidden)) {
            stream.forEach(entries::add);
        }
        for (Path entry : entries) {
            final Path link = dir.resolve(entry.getFileName());
            final Path target;
            if (Files.isSymbolicLink(entry)) {
                target = Files.readSymbolicLink(entry);
            } else if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS) && hasLinkClimbingOut(entry)) {
                final Path atDepth = TempDirs.create(dir, ".ro");
                mounts.mount(entry.toString(), atDepth.toString(), null, Linux.MS_BIND | Linux.MS_REC, null);
                target = atDepth.getFileName();
            } else {
                target = dir.relativize(entry);
            }
            Files.createSymbolicLink(link, target);
        }
    }

    /**
     * Whether a relative symlink below {@code top} climbs above top's parent (the copied-up directory): from the
     * hidden bind it would land in the copied-up directory instead of above it. Unreadable parts are skipped:
     * the command cannot read them either; so are other file systems mounted below (FUSE mounts under /run/user
     * can hang a walk, and nothing there is worth the risk).
     */
    static boolean hasLinkClimbingOut(Path top) {
        final boolean[] found = {false};
        try {
            final Object device = Files.getAttribute(top, "unix:dev", LinkOption.NOFOLLOW_LINKS);
            Files.walkFileTree(top, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    return device.equals(Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS))
                            ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isSymbolicLink() && climbsOut(top.getParent().relativize(file.getParent()), file)) {
                        found[0] = true;
                        return FileVisitResult.TERMINATE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            return found[0];
        }
        return found[0];
    }

    /** Whether {@code link}, in a directory {@code depth.getNameCount()} levels below the root, climbs above it. */
    private static boolean climbsOut(Path depth, Path link) {
        try {
            return climbsOutTarget(depth, Files.readSymbolicLink(link));
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether a link target, read in a directory {@code depth.getNameCount()} levels down, climbs above the top. */
    static boolean climbsOutTarget(Path depth, Path target) {
        if (target.isAbsolute()) {
            return false;
        }
        int level = depth.getNameCount();
        for (Path part : target) {
            if (part.toString().equals("..")) {
                if (--level < 0) {
                    return true;
                }
            } else if (!part.toString().equals(".")) {
                level++;
            }
        }
        return false;
    }

    /**
     * Permission bits including sticky/setgid, which PosixFilePermissions cannot express, of the directory
     * itself: DIR may be a symlink (/var/run -> /run), whose own mode is 0777.
     */
    private static int mode(Path dir) throws IOException {
        return (Integer) Files.getAttribute(dir, "unix:mode") & 07777;
    }
}
