package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.TempDirs;
import dev.rootlessjkit.log.IoErrors;
import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import dev.rootlessjkit.linux.Errno;

/**
 * The state directory: {@code lock} held for the whole run (a second instance on the same directory fails),
 * leftovers of a crashed run removed at start, everything removed at exit as RootlessKit does.
 *
 * <p>As RootlessKit: {@code lock} carries a BSD lock (flock(2)), so {@code flock -n $STATE/lock true} sees it held,
 * and the directory itself a shared one, which keeps systemd-tmpfiles from cleaning a long-lived directory under
 * /tmp (RootlessKit issue #185). Unlike RootlessKit, a directory another user could write to is refused: its
 * files (api.sock, child_pid) are trusted by whoever talks to this instance. {@code lock} is never followed
 * through a symlink and {@code child_pid} is always a new file.
 */
public final class StateDir implements AutoCloseable {
    public static final String LOCK = "lock";
    public static final String CHILD_PID = "child_pid";

    private final Path path;
    private final Linux linux;
    /** The directory, holding the shared lock for systemd-tmpfiles. */
    private final int dirFd;
    private final int lockFd;
    private final Log log;

    private StateDir(Path path, Linux linux, int dirFd, int lockFd, Log log) {
        this.path = path;
        this.linux = linux;
        this.dirFd = dirFd;
        this.lockFd = lockFd;
        this.log = log;
    }

    /** Opens {@code requested}, or a new temporary directory under $TMPDIR when it is null. */
    public static StateDir open(Path requested, Linux linux, Log log) throws ParentException {
        final Path dir;
        try {
            if (requested == null) {
                final String tmp = System.getenv().getOrDefault("TMPDIR", "/tmp");
                dir = TempDirs.create(Path.of(tmp.isEmpty() ? "/tmp" : tmp), "rootlessjkit");
            } else {
                dir = requested.toAbsolutePath().normalize();
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new ParentException("cannot create state dir " + (requested == null ? "under $TMPDIR" : requested)
                    + ": " + IoErrors.describe(e), e);
        }
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new ParentException("state dir " + dir + " is inaccessible");
        }
        checkOwnership(dir, linux.geteuid());
        final Path lockFile = dir.resolve(LOCK);
        int dirFd = -1;
        int lockFd = -1;
        boolean opened = false;
        try {
            dirFd = linux.open(dir.toString(), Linux.OPEN_DIRECTORY, 0);
            if (!linux.tryFlock(dirFd, false, dir.toString())) {
                log.debug("state dir " + dir + " is locked exclusively by someone else");
            }
            lockFd = linux.open(lockFile.toString(), Linux.OPEN_FILE_NO_FOLLOW, 0600);
            if (!linux.tryFlock(lockFd, true, lockFile.toString())) {
                throw new ParentException("failed to lock " + lockFile
                        + ", another rootlessjkit is running with the same state directory?");
            }
            final StateDir stateDir = new StateDir(dir, linux, dirFd, lockFd, log);
            stateDir.removeLeftovers();
            opened = true;
            return stateDir;
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ELOOP) {
                throw new ParentException("failed to lock " + lockFile + ": it is a symlink; remove it", e);
            }
            throw new ParentException("failed to lock " + lockFile + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ParentException("cannot clean state dir " + dir + ": " + e.getMessage(), e);
        } finally {
            if (!opened) {
                linux.closeQuietly(lockFd);
                linux.closeQuietly(dirFd);
            }
        }
    }

    /** The directory must be the user's own and writable by nobody else. */
    private static void checkOwnership(Path dir, int euid) throws ParentException {
        final int uid;
        final int mode;
        try {
            uid = (Integer) Files.getAttribute(dir, "unix:uid");
            mode = (Integer) Files.getAttribute(dir, "unix:mode") & 07777;
        } catch (IOException e) {
            throw new ParentException("cannot inspect state dir " + dir + ": " + IoErrors.describe(e), e);
        }
        if (uid != euid) {
            throw new ParentException("state dir " + dir + " is owned by uid " + uid + ", not by you (uid " + euid
                    + "): choose a directory of your own with --state-dir");
        }
        if ((mode & 022) != 0) {
            throw new ParentException("state dir " + dir + " is writable by " + ((mode & 020) != 0 ? "its group"
                    : "others") + " (mode " + String.format("%04o", mode) + "): run chmod go-w " + dir
                    + " or choose another --state-dir");
        }
    }

    public Path path() {
        return path;
    }

    public Path resolve(String name) {
        return path.resolve(name);
    }

    /** A run killed with SIGKILL leaves sockets and pid files behind; they must not confuse this run. */
    private void removeLeftovers() throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
            for (Path entry : entries) {
                if (!entry.getFileName().toString().equals(LOCK)) {
                    deleteTree(entry);
                }
            }
        }
    }

    /** Writes {@code name} as a read-only file, complete or not at all (readers poll for it). */
    public void publish(String name, String content) throws ParentException {
        final Path target = path.resolve(name);
        final Path partial = path.resolve("." + name + ".partial");
        try {
            // A new file (O_EXCL never follows a symlink); the rename then replaces whatever has the name.
            Files.deleteIfExists(partial);
            Files.write(partial, content.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("r--r--r--"));
            Files.move(partial, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ParentException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            deleteTree(path);
        } catch (IOException e) {
            log.warn("could not remove state dir " + path + ": " + e.getMessage());
        }
        // Closing the fds releases both locks.
        linux.closeQuietly(lockFd);
        linux.closeQuietly(dirFd);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
