package dev.rootlessjkit.child;

import dev.rootlessjkit.linux.ProgramPath;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds CMD the way a shell does ({@link ProgramPath}), and says in Go's words why it cannot be run. */
final class CommandLookup {
    private CommandLookup() {
    }

    static Path find(String name, String pathVariable) throws ChildException {
        if (name.isEmpty()) {
            throw new ChildException("exec: no command");
        }
        final Path found = ProgramPath.find(name, pathVariable == null ? "" : pathVariable).orElse(null);
        if (found != null) {
            return found;
        }
        if (name.contains("/")) {
            throw new ChildException("exec: \"" + name + "\": " + (Files.exists(Path.of(name)) ? "permission denied"
                    : "no such file or directory"));
        }
        throw new ChildException("exec: \"" + name + "\": executable file not found in $PATH");
    }
}
