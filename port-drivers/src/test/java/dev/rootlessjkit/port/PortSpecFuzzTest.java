package dev.rootlessjkit.port;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Arbitrary strings as {@code --port} specs (and API specs, which go through the same validator): only
 * {@link InvalidPortSpecException} escapes, with a one-line message, and every spec that passes both the parser and
 * the validator prints as a spec that parses back to itself and conflicts with itself. Regression mode runs the
 * seeds in PortSpecFuzzTestInputs/ in every test run; hack/fuzz-core.sh runs fuzzing mode.
 */
class PortSpecFuzzTest {
    @FuzzTest(maxDuration = "2m")
    void parseAndValidate(byte[] input) throws PortDriverException {
        // Bytes rather than a String parameter, so that the seeds are plain text files.
        final String text = new String(input, StandardCharsets.UTF_8);
        final PortSpec spec;
        try {
            spec = PortSpecParser.parse(text);
        } catch (InvalidPortSpecException e) {
            assertOneLine(e);
            return;
        }
        try {
            PortSpecValidator.validate(spec, List.of());
        } catch (InvalidPortSpecException e) {
            assertOneLine(e);
            return;
        }
        assertEquals(spec, PortSpecParser.parse(spec.toString()), "printed as " + spec);
        final PortDriverException conflict = assertThrows(PortDriverException.class,
                () -> PortSpecValidator.validate(spec, List.of(new PortStatus(7, spec))));
        assertInstanceOf(PortConflictException.class, conflict);
    }

    private static void assertOneLine(InvalidPortSpecException e) {
        assertFalse(e.getMessage().isEmpty(), "empty message");
        assertFalse(e.getMessage().contains("\n"), "message of more than one line: " + e.getMessage());
    }
}
