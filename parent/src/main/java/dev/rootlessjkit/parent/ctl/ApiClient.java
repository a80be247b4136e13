package dev.rootlessjkit.parent.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rootlessjkit.parent.api.ApiJson;
import dev.rootlessjkit.parent.api.GoJson;
import dev.rootlessjkit.parent.api.Info;
import dev.rootlessjkit.parent.api.PortListing;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The REST API v1 as calls, with errors worded as RootlessKit's Go client words them. */
final class ApiClient {
    private final UnixHttpClient http;

    ApiClient(UnixHttpClient http) {
        this.http = http;
    }

    Info info() throws CtlException {
        return ApiJson.readInfo(json(ok(http.send("GET", "/v1/info", null))));
    }

    List<PortListing> listPorts() throws CtlException {
        return ApiJson.readListings(json(ok(http.send("GET", "/v1/ports", null))));
    }

    PortStatus addPort(PortSpec spec) throws CtlException {
        final byte[] body = GoJson.compact(ApiJson.MAPPER, spec).getBytes(StandardCharsets.UTF_8);
        return ApiJson.readStatus(json(ok(http.send("POST", "/v1/ports", body))));
    }

    void removePort(long id) throws CtlException {
        ok(http.send("DELETE", "/v1/ports/" + id, null));
    }

    /** Copies the pcap stream of {@code GET /v1/capture} to {@code sink} until the server ends it. */
    void capture(int port, int snapLength, OutputStream sink) throws CtlException {
        ok(http.stream("/v1/capture?port=" + port + "&snaplen=" + snapLength, sink));
    }

    private static UnixHttpClient.Response ok(UnixHttpClient.Response r) throws CtlException {
        if (r.status() / 100 == 2) {
            return r;
        }
        final String body = r.bodyText();
        if (!body.isEmpty()) {
            try {
                final JsonNode n = ApiJson.MAPPER.readTree(body);
                if (n != null && n.isObject()) {
                    throw new CtlException(n.path("message").asText(""));
                }
            } catch (IOException e) {
                // Not the API's error shape: report status and body instead.
            }
        }
        throw new CtlException("unexpected HTTP status " + statusText(r) + ", body="
                + dev.rootlessjkit.port.GoText.quote(body));
    }

    /** Go's http.StatusText: the reason phrase without the code. */
    private static String statusText(UnixHttpClient.Response r) {
        return r.reason().isEmpty() ? String.valueOf(r.status()) : r.reason();
    }

    private JsonNode json(UnixHttpClient.Response r) throws CtlException {
        try {
            return ApiJson.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new CtlException("malformed response: " + e.getMessage());
        }
    }
}
