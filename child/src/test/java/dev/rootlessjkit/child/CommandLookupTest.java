package dev.rootlessjkit.child;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CMD is found as a shell finds it, and a miss is worded as RootlessKit (Go's exec) words it. */
class CommandLookupTest {
    @TempDir
    Path dir;

    private Path file(String relative, String mode) throws IOException {
        final Path p = dir.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        return p;
    }

    /** Which file of the search path wins (order, non-executables, directories) is ProgramPathTest's to prove. */
    @Test
    void aNameIsSearchedForInTheGivenPath() throws Exception {
        final Path found = file("c/tool", "rwxr-xr-x");
        assertEquals(found, CommandLookup.find("tool", dir.resolve("a") + ":" + dir.resolve("c")));
    }

    @Test
    void aNameWithASlashIsAPathAndIsNotSearched() throws Exception {
        final Path tool = file("bin/tool", "rwxr-xr-x");
        assertEquals(tool, CommandLookup.find(tool.toString(), "/nonexistent"));
        final Path plain = file("bin/plain", "rw-r--r--");
        assertEquals("exec: \"" + plain + "\": permission denied",
                assertThrows(ChildException.class, () -> CommandLookup.find(plain.toString(), "")).getMessage());
        assertEquals("exec: \"./missing\": no such file or directory",
                assertThrows(ChildException.class, () -> CommandLookup.find("./missing", "")).getMessage());
    }

    @Test
    void missesAndEmptyNamesAreWordedAsGoWordsThem() {
        assertEquals("exec: \"no-such-tool\": executable file not found in $PATH",
                assertThrows(ChildException.class, () -> CommandLookup.find("no-such-tool", dir.toString()))
                        .getMessage());
        assertEquals("exec: \"no-such-tool\": executable file not found in $PATH",
                assertThrows(ChildException.class, () -> CommandLookup.find("no-such-tool", null)).getMessage());
        assertEquals("exec: no command",
                assertThrows(ChildException.class, () -> CommandLookup.find("", "/bin")).getMessage());
    }
}
