package dev.rootlessjkit.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A fresh directory under /tmp owned by the account the launcher runs as, removed with everything in it (and any
 * mount a test left under it) when the test ends. {@link #tmpdir()} is handed to the launcher as $TMPDIR so a test
 * can see whether the launcher left anything behind.
 */
final class Workspace implements AutoCloseable {

    private final Path root;
    private final TestUser owner;

    private Workspace(Path root, TestUser owner) {
        this.root = root;
        this.owner = owner;
    }

    static Workspace create(TestUser owner) {
        try {
            final Path root = Files.createTempDirectory(Path.of("/tmp"), "rjit-").toRealPath();
            final Workspace workspace = new Workspace(root, owner);
            try {
                workspace.giveToOwner(root);
                workspace.mkdir("tmp");
            } catch (RuntimeException e) {
                workspace.close();
                throw e;
            }
            return workspace;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a workspace under /tmp", e);
        }
    }

    Path path() {
        return root;
    }

    Path tmpdir() {
        return root.resolve("tmp");
    }

    TestUser owner() {
        return owner;
    }

    /** Creates a directory (and its parents) owned by the workspace's owner. */
    Path mkdir(String relative) {
        final Path dir = root.resolve(relative);
        ownerShell("mkdir -p -- " + Shell.quote(dir.toString()));
        return dir;
    }

    /** Runs a shell script as the owner in the workspace, for set-up that must produce files the owner owns. */
    void ownerShell(String script) {
        final List<String> command = new ArrayList<>(Host.asUser(owner));
        command.addAll(List.of("sh", "-c", "cd \"$0\" && " + script, root.toString()));
        Exec.check(command);
    }

    /** Names in a directory, sorted; empty when the directory is empty or missing. */
    static List<String> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    @Override
    public void close() {
        unmountEverythingUnder();
        final List<String> remove = List.of("rm", "-rf", "--one-file-system", "--", root.toString());
        if (Exec.run(remove, Duration.ofSeconds(60)).exitCode() != 0) {
            // Files created by another account (a developer running the suite while the launcher runs as rjnosub).
            Host.asRoot(remove.toArray(String[]::new));
        }
    }

    private void giveToOwner(Path path) {
        if (owner.uid() == Host.currentUid()) {
            return;
        }
        if (Host.isRoot()) {
            try {
                Files.setAttribute(path, "unix:uid", owner.uid());
                Files.setAttribute(path, "unix:gid", owner.gid());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot chown " + path + " to " + owner.name(), e);
            }
        } else {
            Host.asRoot("chown", owner.uid() + ":" + owner.gid(), path.toString());
        }
    }

    /** Deepest first, so that stacked mounts come off in order. */
    private void unmountEverythingUnder() {
        final List<Path> mounts = new ArrayList<>();
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                final Path mountPoint = Path.of(unescape(line.split(" ")[4]));
                if (mountPoint.startsWith(root)) {
                    mounts.add(mountPoint);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
        }
        mounts.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        for (final Path mountPoint : mounts) {
            Host.asRoot("umount", "-l", mountPoint.toString());
        }
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String field) {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
