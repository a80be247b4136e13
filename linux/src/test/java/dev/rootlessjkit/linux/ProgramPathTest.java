package dev.rootlessjkit.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgramPathTest {
    @TempDir
    Path dir;

    private Path file(String relative, String mode) throws IOException {
        final Path path = dir.resolve(relative);
        Files.createDirectories(path.getParent());
        Files.writeString(path, "#!/bin/sh\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
        return path;
    }

    @Test
    void theFirstExecutableRegularFileInSearchOrderWins() throws IOException {
        file("a/tool", "rw-r--r--");
        Files.createDirectories(dir.resolve("b/tool"));
        final Path c = file("c/tool", "rwxr-xr-x");
        file("d/tool", "rwxr-xr-x");
        final String search = String.join(":", dir.resolve("a").toString(), dir.resolve("b").toString(),
                dir.resolve("c").toString(), dir.resolve("d").toString());
        assertEquals(Optional.of(c), ProgramPath.find("tool", search));
        assertEquals(Optional.empty(), ProgramPath.find("other", search));
    }

    @Test
    void aNameWithASlashIsThePathItself() throws IOException {
        final Path tool = file("bin/tool", "rwxr-xr-x");
        assertEquals(Optional.of(tool), ProgramPath.find(tool.toString(), ""));
        assertEquals(Optional.empty(), ProgramPath.find(dir.resolve("bin").toString(), ""), "a directory");
        assertEquals(Optional.empty(), ProgramPath.find(dir.resolve("bin/none").toString(), ""));
    }

    @Test
    void anEmptyEntryIsTheCurrentDirectory() throws IOException {
        // The working directory cannot be moved in a test: a program is made there for the test's time only.
        final Path here = Files.createTempFile(Path.of("."), "program-path-test", "");
        try {
            Files.setPosixFilePermissions(here, PosixFilePermissions.fromString("rwx------"));
            final String name = here.getFileName().toString();
            assertEquals(Optional.of(Path.of(".", name)), ProgramPath.find(name, dir + "::"));
            assertEquals(Optional.of(Path.of(".", name)), ProgramPath.find(name, ""));
            assertEquals(Optional.empty(), ProgramPath.find(name, dir.toString()));
        } finally {
            Files.delete(here);
        }
    }
}
