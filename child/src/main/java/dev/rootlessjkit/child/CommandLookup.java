package dev.rootlessjkit.child;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds CMD the way a shell does: a name with a slash is a path, any other name is searched in $PATH. */
final class CommandLookup {
    private CommandLookup() {
    }

    static Path find(String name, String pathVariable) throws ChildException {
        if (name.isEmpty()) {
            throw new ChildException("exec: no command");
        }
        if (name.contains("/")) {
            final Path path = Path.of(name);
            if (isExecutableFile(path)) {
                return path;
            }
            throw new ChildException("exec: \"" + name + "\": " + (Files.exists(path) ? "permission denied"
                    : "no such file or directory"));
        }
        final String searched = pathVariable == null ? "" : pathVariable;
        for (String dir : searched.split(":", -1)) {
            final Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (isExecutableFile(candidate)) {
                return candidate;
            }
        }
        throw new ChildException("exec: \"" + name + "\": executable file not found in $PATH");
    }

    private static boolean isExecutableFile(Path path) {
        return Files.isRegularFile(path) && Files.isExecutable(path);
    }
}
