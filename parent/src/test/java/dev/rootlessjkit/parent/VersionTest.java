package dev.rootlessjkit.parent;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class VersionTest {

    @Test
    void buildVersionComesFromMaven() {
        // The filtered resource must not be left as the placeholder.
        assertEquals(Version.parse(Version.current().text()), Version.current());
    }

    @Test
    void parsesSemanticVersionsWithSuffixes() {
        assertEquals(new Version("1.2.3", 1, 2, 3), Version.parse("1.2.3"));
        assertEquals(new Version("0.10.0-SNAPSHOT", 0, 10, 0), Version.parse("0.10.0-SNAPSHOT"));
        assertEquals(new Version("3.0.1+dev", 3, 0, 1), Version.parse("3.0.1+dev"));
        assertThrows(IllegalStateException.class, () -> Version.parse("${project.version}"));
    }
}
