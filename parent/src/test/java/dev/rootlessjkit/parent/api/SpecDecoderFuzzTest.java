package dev.rootlessjkit.parent.api;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rootlessjkit.port.InvalidPortSpecException;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortSpecValidator;
import java.util.List;

/**
 * Arbitrary bytes as a {@code POST /v1/ports} body, through the JSON decoding and the validation the API applies:
 * only {@link InvalidPortSpecException} escapes, with a message, so that the API answers 400 and never 500.
 * Regression mode runs the seeds in SpecDecoderFuzzTestInputs/ in every test run; hack/fuzz-core.sh runs fuzzing
 * mode.
 */
class SpecDecoderFuzzTest {
    private static final SpecDecoder DECODER = new SpecDecoder(new ObjectMapper());

    @FuzzTest(maxDuration = "2m")
    void decodeAndValidate(byte[] body) throws Exception {
        try {
            final PortSpec spec = DECODER.decode(body);
            PortSpecValidator.validate(spec, List.of());
        } catch (InvalidPortSpecException e) {
            assertFalse(e.getMessage() == null || e.getMessage().isEmpty(), "no message");
        }
    }
}
