package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.ProgramPath;
import java.nio.file.Path;

/** The external programs the parent cannot run without, found in $PATH ({@link ProgramPath}). */
final class Executables {
    private Executables() {
    }

    /** {@code name} from $PATH; {@code remedy} tells the user what to do when it is not there. */
    static Path require(String name, String remedy) throws ParentException {
        return ProgramPath.find(name).orElseThrow(() -> new ParentException(name + " not found in $PATH: " + remedy));
    }
}
