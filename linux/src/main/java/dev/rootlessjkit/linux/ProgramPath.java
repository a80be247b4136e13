package dev.rootlessjkit.linux;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a program name resolves, as execvp(3) and a shell find it: a name with a slash is a path as given; any other
 * is looked up in the directories of a $PATH value, in order, an empty entry meaning the current directory. Only a
 * regular file with execute permission counts: a directory named like the program does not.
 */
public final class ProgramPath {
    /** The search path when $PATH is unset, as glibc's execvp uses it without the current directory. */
    public static final String DEFAULT_SEARCH_PATH = "/usr/local/bin:/usr/bin:/bin";

    private ProgramPath() {
    }

    /** {@code name} resolved through this process's $PATH. */
    public static Optional<Path> find(String name) {
        return find(name, System.getenv().getOrDefault("PATH", DEFAULT_SEARCH_PATH));
    }

    /** {@code name} resolved through {@code searchPath}, a $PATH value; empty when nothing executable is there. */
    public static Optional<Path> find(String name, String searchPath) {
        if (name.contains("/")) {
            final Path path = Path.of(name);
            return isExecutableFile(path) ? Optional.of(path) : Optional.empty();
        }
        for (String dir : searchPath.split(":", -1)) {
            final Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (isExecutableFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code path} is a regular file (after symbolic links) this process may execute. */
    public static boolean isExecutableFile(Path path) {
        return Files.isRegularFile(path) && Files.isExecutable(path);
    }
}
