package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.TempDirs;
import dev.rootlessjkit.log.IoErrors;
import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The state directory: {@code lock} held for the whole run (a second instance on the same directory fails),
 * leftovers of a crashed run removed at start, everything removed at exit as RootlessKit does.
 */
public final class StateDir implements AutoCloseable {
    public static final String LOCK = "lock";
    public static final String CHILD_PID = "child_pid";

    private final Path path;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Log log;

    private StateDir(Path path, FileChannel lockChannel, FileLock lock, Log log) {
        this.path = path;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.log = log;
    }

    /** Opens {@code requested}, or a new temporary directory under $TMPDIR when it is null. */
    public static StateDir open(Path requested, Log log) throws ParentException {
        final Path dir;
        try {
            if (requested == null) {
                final String tmp = System.getenv().getOrDefault("TMPDIR", "/tmp");
                dir = TempDirs.create(Path.of(tmp.isEmpty() ? "/tmp" : tmp), "rootlessjkit");
            } else {
                dir = requested.toAbsolutePath().normalize();
                Files.createDirectories(dir);
            }
        } catch (IOException e) {
            throw new ParentException("cannot create state dir " + (requested == null ? "under $TMPDIR" : requested)
                    + ": " + IoErrors.describe(e), e);
        }
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new ParentException("state dir " + dir + " is inaccessible");
        }
        final Path lockFile = dir.resolve(LOCK);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            Files.setPosixFilePermissions(lockFile, PosixFilePermissions.fromString("rw-------"));
            final FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                throw new ParentException("failed to lock " + lockFile
                        + ", another rootlessjkit is running with the same state directory?");
            }
            final StateDir stateDir = new StateDir(dir, channel, lock, log);
            stateDir.removeLeftovers();
            return stateDir;
        } catch (IOException | OverlappingFileLockException e) {
            closeQuietly(channel);
            throw new ParentException("failed to lock " + lockFile + ": " + e.getMessage(), e);
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
            Files.writeString(partial, content);
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
        try {
            lock.release();
        } catch (IOException e) {
            // The lock goes with the channel anyway.
        }
        closeQuietly(lockChannel);
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

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing to do: the fd is released either way.
            }
        }
    }
}
