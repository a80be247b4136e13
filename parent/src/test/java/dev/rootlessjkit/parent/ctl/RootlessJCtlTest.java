package dev.rootlessjkit.parent.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.parent.api.ApiJson;
import dev.rootlessjkit.parent.api.ApiServer;
import dev.rootlessjkit.parent.api.CountingPortDriver;
import dev.rootlessjkit.parent.api.GoJson;
import dev.rootlessjkit.parent.api.Info;
import dev.rootlessjkit.parent.api.NetworkDriverInfo;
import dev.rootlessjkit.port.PortDriverInfo;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** rootlessjctl against our API server, checked against inventory Appendix B and against the real rootlessctl. */
@Timeout(60)
class RootlessJCtlTest {
    private static final Info INFO = Info.of("1.1.0", "/tmp/rkstate", 8399,
            new NetworkDriverInfo("slirp4netns", List.of("10.0.2.3"), "10.0.2.100", false),
            new PortDriverInfo("builtin", List.of("tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"), false));

    @TempDir
    Path dir;
    private ApiServer server;
    private Path socket;

    record Result(int status, String out, String err) {
    }

    @BeforeEach
    void start() throws IOException {
        socket = dir.resolve("api.sock");
        server = ApiServer.start(socket, () -> INFO, new dev.rootlessjkit.parent.api.FakePortDriverAccess().driver(),
                new Log("test", false));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void appendixBTranscript() {
        assertEquals(new Result(0, """
                - REST API version: 1.1.1
                - Implementation version: 1.1.0
                - State Directory: /tmp/rkstate
                - Child PID: 8399
                - Network Driver: slirp4netns
                  - DNS: [10.0.2.3]
                  - IP: 10.0.2.100
                - Port Driver: builtin
                  - Supported protocols: [tcp tcp4 tcp6 udp udp4 udp6]
                """, ""), ours("info"));
        assertEquals(new Result(0, """
                {
                    "apiVersion": "1.1.1",
                    "version": "1.1.0",
                    "stateDir": "/tmp/rkstate",
                    "childPID": 8399,
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
                            "tcp4",
                            "tcp6",
                            "udp",
                            "udp4",
                            "udp6"
                        ]
                    }
                }
                """, ""), ours("info", "--json"));
        assertEquals(new Result(0, "ID    PROTO    PARENTIP    PARENTPORT    CHILDIP    CHILDPORT    \n", ""),
                ours("list-ports"));
        assertEquals(new Result(0, "", ""), ours("list-ports", "--json"));
        assertEquals(new Result(0, "1\n2\n", ""),
                ours("add-ports", "127.0.0.1:28090:80/tcp", "0.0.0.0:28091:80/tcp4"));
        assertEquals(new Result(0, "{\"id\":3,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\","
                + "\"parentPort\":28092,\"childPort\":80}}\n", ""), ours("add-ports", "--json", "127.0.0.1:28092:80/tcp"));
        assertEquals(new Result(0, "4\n", ""), ours("add-ports", "[::1]:28093:[127.0.0.1]:80/tcp6"));
        assertEquals(new Result(1, "", "error: conflict with ID 3\n"), ours("add-ports", "127.0.0.1:28092:80/tcp"));
        assertEquals(new Result(0, "5\n", ""), ours("add-ports", ":28094:80/tcp"));
        assertEquals(new Result(1, "", "error: missing proto in PortSpec string: \"bad\"\n"), ours("add-ports", "bad"));
        assertEquals(new Result(1, "", "error: unexpected ParentIP in PortSpec string: \"localhost:28095:80/tcp\"\n"),
                ours("add-ports", "localhost:28095:80/tcp"));
        assertEquals(new Result(1, "", "error: no port specified\n"), ours("add-ports"));
        assertEquals(new Result(0, """
                ID    PROTO    PARENTIP     PARENTPORT    CHILDIP      CHILDPORT   \s
                1     tcp      127.0.0.1    28090                      80          \s
                2     tcp4     0.0.0.0      28091                      80          \s
                3     tcp      127.0.0.1    28092                      80          \s
                4     tcp6     ::1          28093         127.0.0.1    80          \s
                5     tcp                   28094                      80          \s
                """, ""), ours("list-ports"));
        assertEquals(new Result(1, "", "error: unknown id: 999\n"), ours("remove-ports", "999"));
        assertEquals(new Result(1, "", "error: strconv.Atoi: parsing \"abc\": invalid syntax\n"),
                ours("remove-ports", "abc"));
        assertEquals(new Result(1, "", "error: no ID specified\n"), ours("remove-ports"));
        assertEquals(new Result(0, "1\n5\n", ""), ours("remove-ports", "1", "5"));
        assertEquals(new Result(1, "", "error: please specify --socket or set $ROOTLESSKIT_STATE_DIR\n"),
                run(Map.of(), "list-ports"));
        // Header and ports 2, 3 and 4, found through $ROOTLESSKIT_STATE_DIR/api.sock.
        assertEquals(4, run(Map.of("ROOTLESSKIT_STATE_DIR", dir.toString()), "list-ports").out().split("\n").length);
        assertEquals(new Result(1, "", "error: stat /tmp/nonexist.sock: no such file or directory\n"),
                run(Map.of(), "--socket", "/tmp/nonexist.sock", "info"));
        assertEquals(3, run(Map.of(), "foo").status());
        assertEquals(1, run(Map.of(), "--bogus", "info").status());
        assertEquals(0, run(Map.of(), "--version").status());
    }

    @Test
    void sameOutputAsTheRealRootlessctl() throws Exception {
        final String real = findRootlessctl();
        if (real == null) {
            if ("true".equals(System.getenv("CI"))) {
                fail("rootlessctl is not installed (apt-get install rootlesskit); CI must run this comparison");
            }
            return;
        }
        ours("add-ports", "127.0.0.1:28090:80/tcp", "[::1]:28093:[127.0.0.1]:80/tcp6", ":28094:80/udp");
        final List<String[]> same = List.of(
                new String[] {"info"}, new String[] {"info", "--json"}, new String[] {"list-ports"},
                new String[] {"list-ports", "--json"}, new String[] {"add-ports", "bad"},
                new String[] {"add-ports", "127.0.0.1:28090:80/tcp"}, new String[] {"remove-ports", "999"},
                new String[] {"remove-ports", "abc"}, new String[] {"remove-ports"}, new String[] {"add-ports"});
        for (String[] args : same) {
            assertEquals(theirs(real, args), ours(args), String.join(" ", args));
        }
        // The real client drives our server: add, list, remove.
        assertEquals(new Result(0, "4\n", ""), theirs(real, "add-ports", "127.0.0.1:28095:80/tcp"));
        assertEquals(new Result(0, "{\"id\":5,\"spec\":{\"proto\":\"udp6\",\"parentIP\":\"::1\",\"parentPort\":"
                + "28096,\"childPort\":53,\"childIP\":\"::1\"}}\n", ""),
                theirs(real, "add-ports", "--json", "[::1]:28096:[::1]:53/udp6"));
        assertEquals(new Result(0, "4\n5\n", ""), theirs(real, "remove-ports", "4", "5"));
        assertEquals(ours("list-ports"), theirs(real, "list-ports"));
        assertTrue(theirs(real, "list-ports").out().contains("28094"));
    }

    /**
     * A driver with counters: our list-ports --json and info --json print them after RootlessKit's fields, and the
     * real rootlessctl, whose Go decoder skips the field, prints exactly what it prints without them, as does our
     * table.
     */
    @Test
    void countersInOurJsonOnlyAndTheRealRootlessctlUnmoved() throws Exception {
        server.close();
        server = ApiServer.start(socket, () -> INFO, new CountingPortDriver(), new Log("test", false));
        ours("add-ports", "127.0.0.1:28090:80/tcp", "127.0.0.1:28091:81/udp");
        final String tcp = "{\"id\":1,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28090,"
                + "\"childPort\":80}";
        final String udp = "{\"id\":2,\"spec\":{\"proto\":\"udp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28091,"
                + "\"childPort\":81}";
        final Result listed = ours("list-ports", "--json");
        assertEquals(List.of(tcp + ",\"counters\":" + GoJson.compact(ApiJson.MAPPER, CountingPortDriver.TCP) + "}",
                udp + ",\"counters\":" + GoJson.compact(ApiJson.MAPPER, CountingPortDriver.UDP) + "}"),
                listed.out().lines().toList(), listed::toString);
        assertTrue(ours("info", "--json").out().contains("\"portCounters\": {"));

        final String real = findRootlessctl();
        if (real == null) {
            if ("true".equals(System.getenv("CI"))) {
                fail("rootlessctl is not installed (apt-get install rootlesskit); CI must run this comparison");
            }
            return;
        }
        assertEquals(new Result(0, tcp + "}\n" + udp + "}\n", ""), theirs(real, "list-ports", "--json"));
        assertEquals(theirs(real, "list-ports"), ours("list-ports"));
        assertEquals(theirs(real, "info"), ours("info"));
    }

    private static String findRootlessctl() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            final Path p = Path.of(d, "rootlessctl");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    private Result theirs(String binary, String... args) throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>(List.of(binary, "--socket", socket.toString()));
        cmd.addAll(List.of(args));
        final Process p = new ProcessBuilder(cmd).start();
        final byte[] out = p.getInputStream().readAllBytes();
        final byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    private Result ours(String... args) {
        final List<String> all = new ArrayList<>(List.of("--socket", socket.toString()));
        all.addAll(List.of(args));
        return run(Map.of(), all.toArray(String[]::new));
    }

    private static Result run(Map<String, String> env, String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = new RootlessJCtl(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
