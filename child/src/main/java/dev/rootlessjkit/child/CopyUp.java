package dev.rootlessjkit.child;

import dev.rootlessjkit.linux.TempDirs;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.IoErrors;
import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code tmpfs+symlink} copy-up: a directory is covered by an empty tmpfs, so the command may add, remove
 * and replace entries without touching the host, and every original entry reappears as a symlink into a hidden
 * bind mount of the original ({@code DIR/.roNNNN}).
 *
 * <p>Unlike RootlessKit, subdirectories are recreated as real directories instead of being symlinked whole.
 * That keeps relative symlinks inside them working ({@code /etc/ssl/certs/x.pem -> ../../../usr/...} climbs
 * out of the real directory it sits in, which must therefore be at its original depth), and it makes the
 * subdirectories writable too. Directories that cannot be listed or that are mount points of their own are
 * still symlinked whole.
 */
final class CopyUp {
    private final Linux linux;
    private final Log log;

    CopyUp(Linux linux, Log log) {
        this.linux = linux;
        this.log = log;
    }

    void copyUp(List<String> dirs) throws ChildException {
        if (dirs.isEmpty()) {
            return;
        }
        final Path scratch;
        try {
            scratch = TempDirs.create(Path.of("/tmp"), "rootlessjkit-b");
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
        if (dir.equals(Path.of("/tmp"))) {
            throw new ChildException("/tmp cannot be copied up");
        }
        if (!Files.isDirectory(dir)) {
            throw new ChildException("cannot copy up " + dir + ": not a directory");
        }
        try {
            linux.mount(dir.toString(), scratch.toString(), null, Linux.MS_BIND | Linux.MS_REC, null);
            linux.mount("tmpfs", dir.toString(), "tmpfs", 0, "mode=" + Integer.toOctalString(mode(dir)));
            final Path hidden = TempDirs.create(dir, ".ro");
            linux.mount(scratch.toString(), hidden.toString(), null, Linux.MS_MOVE, null);
            final Object device = Files.getAttribute(hidden, "unix:dev");
            populate(dir, hidden, hidden.getFileName().toString(), device);
            log.debug("copied up " + dir);
        } catch (ErrnoException e) {
            throw new ChildException("failed to copy up " + dir + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ChildException("failed to copy up " + dir + ": " + IoErrors.describe(e) + " ("
                    + e.getMessage() + ")", e);
        }
    }

    /**
     * Fills {@code target} (a directory on the tmpfs) with one entry per entry of {@code source} (the same
     * directory in the hidden bind). {@code hiddenFromTarget} is the relative path from {@code target} to
     * {@code source}, so the symlinks stay valid whatever the tree is mounted under.
     */
    private void populate(Path target, Path source, String hiddenFromTarget, Object device) throws IOException {
        final List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(source)) {
            stream.forEach(entries::add);
        }
        for (Path entry : entries) {
            final Path name = entry.getFileName();
            final Path copy = target.resolve(name);
            if (Files.isSymbolicLink(entry)) {
                Files.createSymbolicLink(copy, Files.readSymbolicLink(entry));
            } else if (isRecreatable(entry, device)) {
                Files.createDirectory(copy);
                populate(copy, entry, "../" + hiddenFromTarget + "/" + name, device);
                linux.chmod(copy.toString(), mode(entry));
            } else {
                Files.createSymbolicLink(copy, Path.of(hiddenFromTarget, name.toString()));
            }
        }
    }

    private static boolean isRecreatable(Path entry, Object device) {
        if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS) || !Files.isReadable(entry)
                || !Files.isExecutable(entry)) {
            return false;
        }
        try {
            return device.equals(Files.getAttribute(entry, "unix:dev", LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            return false;
        }
    }

    /** Permission bits including sticky/setgid, which PosixFilePermissions cannot express. */
    private static int mode(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }
}
