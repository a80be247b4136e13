package dev.rootlessjkit.parent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Looks up the external programs the parent runs, by name in $PATH. */
public final class Executables {
    private Executables() {
    }

    public static Optional<Path> find(String name) {
        if (name.contains("/")) {
            final Path path = Path.of(name);
            return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        final String searchPath = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : searchPath.split(":")) {
            final Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Like {@link #find} for a program the run cannot do without; {@code remedy} tells the user what to do. */
    static Path require(String name, String remedy) throws ParentException {
        return find(name).orElseThrow(() -> new ParentException(name + " not found in $PATH: " + remedy));
    }
}
