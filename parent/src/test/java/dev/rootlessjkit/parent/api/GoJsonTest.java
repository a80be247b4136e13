package dev.rootlessjkit.parent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The API's JSON as RootlessKit's Go code writes it, byte for byte. */
class GoJsonTest {

    @Test
    void specsOmitTheirEmptyFieldsInGosFieldOrder() {
        assertEquals("{\"id\":1,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":8080,"
                + "\"childPort\":80}}", GoJson.compact(ApiJson.MAPPER,
                        new PortStatus(1, new PortSpec("tcp", "127.0.0.1", 8080, "", 80))));
        assertEquals("{\"proto\":\"udp\",\"parentPort\":53,\"childPort\":53,\"childIP\":\"10.0.2.100\"}",
                GoJson.compact(ApiJson.MAPPER, new PortSpec("udp", "", 53, "10.0.2.100", 53)));
        assertEquals("{}", GoJson.compact(ApiJson.MAPPER, new PortSpec("", "", 0, "", 0)));
    }

    @Test
    void noPortsIsNullAsGosNilSlice() {
        assertEquals("null", GoJson.compact(ApiJson.MAPPER, ApiJson.statuses(List.of())));
        assertEquals("[{\"id\":2,\"spec\":{\"proto\":\"tcp\",\"parentPort\":1,\"childPort\":2}}]",
                GoJson.compact(ApiJson.MAPPER, ApiJson.statuses(List.of(
                        new PortStatus(2, new PortSpec("tcp", "", 1, "", 2))))));
    }

    /** {@code rootlessctl info --json}: MarshalIndent with four spaces. */
    @Test
    void infoIndentedAsMarshalIndent() {
        final Info info = Info.of("2.0.0", "/run/user/1000/rj", 42,
                new NetworkDriverInfo("slirp4netns", List.of("10.0.2.3"), "10.0.2.100", false),
                new PortDriverInfo("builtin", List.of("tcp", "udp"), false));
        assertEquals("""
                {
                    "apiVersion": "1.1.1",
                    "version": "2.0.0",
                    "stateDir": "/run/user/1000/rj",
                    "childPID": 42,
                    "networkDriver": {
                        "driver": "slirp4netns",
                        "dns": [
                            "10.0.2.3"
                        ],
                        "childIP": "10.0.2.100"
                    },
                    "portDriver": {
                        "driver": "builtin",
                        "protos": [
                            "tcp",
                            "udp"
                        ]
                    }
                }""", GoJson.indented(ApiJson.MAPPER, info, "    "));
    }

    @Test
    void emptyAndAbsentDriverFieldsAsGoWritesThem() {
        final Info info = Info.of("2.0.0", "/s", 7, new NetworkDriverInfo("usernet", List.of(), "", true),
                new PortDriverInfo("none", List.of(), true));
        assertEquals("{\"apiVersion\":\"1.1.1\",\"version\":\"2.0.0\",\"stateDir\":\"/s\",\"childPID\":7,"
                + "\"networkDriver\":{\"driver\":\"usernet\",\"dynamicChildIP\":true},"
                + "\"portDriver\":{\"driver\":\"none\",\"protos\":[],\"disallowLoopbackChildIP\":true}}",
                GoJson.compact(ApiJson.MAPPER, info));
        assertEquals("""
                {
                  "apiVersion": "1.1.1",
                  "version": "2.0.0",
                  "stateDir": "/s",
                  "childPID": 7,
                  "portDriver": {
                    "driver": "none",
                    "protos": [],
                    "disallowLoopbackChildIP": true
                  }
                }""", GoJson.indented(ApiJson.MAPPER, Info.of("2.0.0", "/s", 7, null,
                        new PortDriverInfo("none", List.of(), true)), "  "));
    }

    /** Go's encodeState.string: HTML characters and line separators escaped in lower-case hex, as are controls. */
    @Test
    void stringsEscapedAsGoEscapesThem() {
        assertEquals("{\"message\":\"\\u003cb\\u003e \\u0026 \\\"q\\\" \\\\ \\n\\r\\t \\u0001\\u001f \\u0008\\u000c "
                + "\\u2028\\u2029 é 😀\"}", ApiJson.error("<b> & \"q\" \\ \n\r\t \u0001\u001f \b\f "
                        + "\u2028\u2029 é \uD83D\uDE00"));
    }

    /** A lone surrogate can only come from a client's JSON escape, which Go decodes to U+FFFD. */
    @Test
    void loneSurrogatesBecomeTheReplacementCharacter() {
        assertEquals("{\"message\":\"a\uFFFDb\uFFFD\"}", ApiJson.error("a\uD800b\uDC00"));
    }
}
