package dev.rootlessjkit.parent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.port.PortSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our counters in {@code GET /v1/ports} and {@code GET /v1/info}: a field after RootlessKit's, which are
 * unchanged byte for byte, so that RootlessKit's clients (Go's decoder skips a field it does not know) read
 * exactly what they read from RootlessKit.
 */
@Timeout(30)
class PortCountersApiTest {
    private static final String TCP_COUNTERS = "{\"tcp\":{\"accepted\":3,\"active\":1,\"failed\":1,\"failures\":"
            + "{\"refused\":1,\"timeout\":0,\"unreachable\":0,\"limit\":0,\"other\":0},\"bytesToChild\":1200,"
            + "\"bytesFromChild\":3400}}";
    private static final String UDP_COUNTERS = "{\"udp\":{\"flows\":2,\"datagramsToChild\":10,\"bytesToChild\":1000,"
            + "\"datagramsFromChild\":9,\"bytesFromChild\":900,\"dropped\":1,\"drops\":{\"queueFull\":1,"
            + "\"flowTableFull\":0,\"failed\":0}}}";

    @TempDir
    Path dir;
    private Path socket;
    private ApiServer server;

    @BeforeEach
    void start() throws IOException {
        socket = dir.resolve("api.sock");
        server = ApiServer.start(socket, () -> ApiServerTest.INFO, new CountingPortDriver(), new Log("test", false));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String get(String path) throws IOException {
        final RawHttp.Response r = RawHttp.send(socket, "GET", path, null);
        assertEquals(200, r.status(), r.body());
        return r.body();
    }

    @Test
    void eachPortHasItsCountersAfterRootlessKitsFields() throws IOException {
        assertEquals("null", get("/v1/ports"), "no ports: Go's nil slice, as before");
        RawHttp.send(socket, "POST", "/v1/ports", "{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28080,"
                + "\"childPort\":80}");
        RawHttp.send(socket, "POST", "/v1/ports", "{\"proto\":\"udp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28081,"
                + "\"childPort\":81}");
        final String tcpStatus = "{\"id\":1,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28080,"
                + "\"childPort\":80}";
        final String udpStatus = "{\"id\":2,\"spec\":{\"proto\":\"udp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28081,"
                + "\"childPort\":81}";
        assertEquals("[" + tcpStatus + ",\"counters\":" + TCP_COUNTERS + "}," + udpStatus + ",\"counters\":"
                + UDP_COUNTERS + "}]", get("/v1/ports"));
    }

    @Test
    void infoHasTheDriversTotalAfterRootlessKitsFields() throws IOException {
        final String rootlessKits = GoJson.compact(ApiJson.MAPPER, ApiServerTest.INFO);
        final String total = "{\"tcp\":{\"accepted\":3,\"active\":1,\"failed\":1,\"failures\":{\"refused\":1,"
                + "\"timeout\":0,\"unreachable\":0,\"limit\":0,\"other\":0},\"bytesToChild\":1200,\"bytesFromChild\""
                + ":3400},\"udp\":{\"flows\":2,\"datagramsToChild\":10,\"bytesToChild\":1000,\"datagramsFromChild\":9,"
                + "\"bytesFromChild\":900,\"dropped\":1,\"drops\":{\"queueFull\":1,\"flowTableFull\":0,\"failed\":0}}}";
        assertEquals(rootlessKits.substring(0, rootlessKits.length() - 1) + ",\"portCounters\":" + total + "}",
                get("/v1/info"));
    }

    @Test
    void countersReadBackAsTheyWereWritten() throws IOException {
        final PortListing listing = new PortListing(1, new PortSpec("tcp", "", 1, "", 2),
                CountingPortDriver.TCP);
        final String json = GoJson.compact(ApiJson.MAPPER, List.of(listing));
        assertEquals(List.of(listing), ApiJson.readListings(ApiJson.MAPPER.readTree(json)));
        final Info info = ApiServerTest.INFO.withPortCounters(CountingPortDriver.TCP.plus(CountingPortDriver.UDP));
        assertEquals(info, ApiJson.readInfo(ApiJson.MAPPER.readTree(GoJson.compact(ApiJson.MAPPER, info))));
    }
}
