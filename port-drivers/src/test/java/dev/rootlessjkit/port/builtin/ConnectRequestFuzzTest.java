package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Test;

/**
 * The child half's parser of the parent's requests: arbitrary bytes decode to null or to a request that encodes
 * back to exactly those bytes; nothing throws. Regression mode runs the seeds in ConnectRequestFuzzTestInputs/ in
 * every test run; hack/fuzz-core.sh runs fuzzing mode.
 */
class ConnectRequestFuzzTest {
    @FuzzTest(maxDuration = "2m")
    void decodeEncode(byte[] input) {
        final byte[] buf = new byte[ConnectRequest.MAX_BYTES];
        final int length = Math.min(input.length, buf.length);
        System.arraycopy(input, 0, buf, 0, length);
        final ConnectRequest req = ConnectRequest.decode(buf, length);
        if (req != null) {
            final byte[] exact = new byte[length];
            System.arraycopy(input, 0, exact, 0, length);
            assertArrayEquals(exact, req.encode());
        }
    }

    @Test
    void clientAddressAndPortTravelWithTheRequest() {
        final ConnectRequest req = new ConnectRequest(7, true, new byte[] {127, 0, 0, 1}, 80,
                new byte[] {10, 9, 8, 7}, 40123);
        final byte[] bytes = req.encode();
        final ConnectRequest back = ConnectRequest.decode(bytes, bytes.length);
        assertEquals(7, back.id());
        assertArrayEquals(new byte[] {10, 9, 8, 7}, back.source());
        assertEquals(40123, back.sourcePort());
        assertEquals(80, back.port());
        final byte[] none = new ConnectRequest(8, false, new byte[16], 53, new byte[0], 0).encode();
        assertEquals(false, ConnectRequest.decode(none, none.length).hasSource());
        assertNull(ConnectRequest.decode(bytes, bytes.length - 1));
    }
}
