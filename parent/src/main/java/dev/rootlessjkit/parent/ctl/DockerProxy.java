package dev.rootlessjkit.parent.ctl;

import dev.rootlessjkit.linux.ProgramPath;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.parent.api.Info;
import dev.rootlessjkit.port.IpLiteral;
import dev.rootlessjkit.port.PortSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The decisions of {@code rootlesskit-docker-proxy}, what Docker 20.10–27 runs inside the namespace as its userland
 * proxy for every published container port ({@code --userland-proxy-path}), with RootlessKit's rules: publish the
 * host side through {@code $ROOTLESSKIT_STATE_DIR/api.sock} so that the real {@code docker-proxy} can serve the
 * namespace side on the namespace's loopback (or, when the port driver cannot reach loopback, the namespace's own
 * address).
 *
 * <p>One step, then this JVM exits: one of these proxies lives for as long as its port is published, and a resident
 * JVM per port (~48 MB RSS measured, against ~6.5 MB for RootlessKit's) is too much. The launcher script stays
 * instead: it runs the real proxy as this step says, passes it Docker's readiness pipe (fd 3), and on SIGINT (what
 * Docker sends) or SIGTERM stops it and removes the port with {@code rootlessjctl remove-ports}. The step prints one
 * line on stdout for the script: {@code exec} (no port driver: the real proxy alone, with Docker's own flags),
 * {@code done} (nothing to run; success already reported on fd 3), or {@code publish ID CHILDIP CONTAINERIP
 * CONTAINERPORT HOSTPORT PROTO}. Errors go to Docker on fd 3 as {@code 1\n<error>}, with exit status 1.
 */
public final class DockerProxy {
    static final String REAL_PROXY = "docker-proxy";
    /** Docker's readiness pipe. */
    private static final Path READY_FD = Path.of("/proc/self/fd/3");

    /** The flags Docker passes, with Go's flag package defaults. */
    record Options(String containerIp, int containerPort, String hostIp, int hostPort, String proto) {
    }

    /** What to do for one request, decided from the flags and {@code GET /v1/info}. */
    sealed interface Plan {
        /** No port driver (none, implicit): the real proxy does everything, with Docker's own flags. */
        record RealProxyOnly() implements Plan {
        }

        /** The driver cannot publish this protocol: warn, report success, do nothing (RootlessKit issue 250). */
        record Unsupported(String warning) implements Plan {
        }

        /** Publish {@code spec}, then run the real proxy listening on {@code childIp}, where the driver connects. */
        record Publish(PortSpec spec, String childIp) implements Plan {
        }
    }

    private final Map<String, String> env;
    private final Log log;

    DockerProxy(Map<String, String> env, Log log) {
        this.env = env;
        this.log = log;
    }

    public static void main(String[] args) {
        final Log log = new Log("docker-proxy", false);
        final ReadyPipe ready = ReadyPipe.open();
        int status = 0;
        try {
            System.out.println(new DockerProxy(System.getenv(), log).run(args, ready));
        } catch (CtlException e) {
            ready.report("1\n" + e.getMessage());
            log.error(e.getMessage());
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }

    /** Decides, publishes when that is the decision, and returns the script's line. */
    String run(String[] args, ReadyPipe ready) throws CtlException {
        final Options options = parse(args);
        if (!IpLiteral.isValid(options.containerIp())) {
            throw new CtlException("invalid -container-ip \"" + options.containerIp() + "\"");
        }
        final String stateDir = env.get("ROOTLESSKIT_STATE_DIR");
        if (stateDir == null || stateDir.isEmpty()) {
            throw new CtlException("$ROOTLESSKIT_STATE_DIR needs to be set");
        }
        // Checked before publishing, so that a missing real proxy leaves no port behind.
        if (ProgramPath.find(REAL_PROXY).isEmpty()) {
            throw new CtlException("exec: \"" + REAL_PROXY + "\": executable file not found in $PATH");
        }
        final UnixHttpClient http = new UnixHttpClient(Path.of(stateDir, "api.sock"));
        try {
            http.checkSocket();
        } catch (CtlException e) {
            throw new CtlException("error while connecting to RootlessKit API socket: " + e.getMessage());
        }
        final ApiClient api = new ApiClient(http);
        final Info info;
        try {
            info = api.info();
        } catch (CtlException e) {
            throw new CtlException("failed to call info API, probably RootlessKit binary is too old "
                    + "(needs to be v0.14.0 or later): " + e.getMessage());
        }
        final Plan plan = plan(options, info);
        if (plan instanceof Plan.Unsupported unsupported) {
            log.warn(unsupported.warning());
            ready.report("0\n");
            return "done";
        }
        if (plan instanceof Plan.RealProxyOnly) {
            return "exec";
        }
        final Plan.Publish publish = (Plan.Publish) plan;
        final long id;
        try {
            id = api.addPort(publish.spec()).id();
        } catch (CtlException e) {
            throw new CtlException("error while calling PortManager.AddPort(): " + e.getMessage());
        }
        return "publish " + id + " " + publish.childIp() + " " + options.containerIp() + " "
                + options.containerPort() + " " + options.hostPort() + " " + options.proto();
    }

    /** RootlessKit's rules: loopback inside unless the port driver needs the namespace's address; tcp → tcp4/tcp6. */
    static Plan plan(Options o, Info info) throws CtlException {
        if (info.portDriver() == null || info.portDriver().driver().equals("none")
                || info.portDriver().driver().equals("implicit")) {
            return new Plan.RealProxyOnly();
        }
        final boolean ipv6 = isIPv6(o.hostIp());
        String childIp = ipv6 ? "::1" : "127.0.0.1";
        if (info.portDriver().disallowLoopbackChildIP()) {
            if (info.networkDriver() == null || info.networkDriver().childIP().isEmpty()) {
                throw new CtlException("port driver (\"" + info.portDriver().driver() + "\") does not allow "
                        + "loopback child IP, but network driver (\""
                        + (info.networkDriver() == null ? "" : info.networkDriver().driver())
                        + "\") has no non-loopback IP");
            }
            childIp = info.networkDriver().childIP();
        }
        String proto = o.proto();
        if (!proto.endsWith("4") && !proto.endsWith("6")) {
            proto += ipv6 ? "6" : "4";
        }
        if (!info.portDriver().protos().contains(proto)) {
            final String hostPort = (o.hostIp().contains(":") ? "[" + o.hostIp() + "]" : o.hostIp()) + ":"
                    + o.hostPort();
            return new Plan.Unsupported("protocol \"" + proto + "\" is not supported by the RootlessKit port driver \""
                    + info.portDriver().driver() + "\", discarding request for \"" + hostPort + "\"");
        }
        return new Plan.Publish(new PortSpec(proto, o.hostIp(), o.hostPort(), childIp, o.hostPort()), childIp);
    }

    /** Go's {@code net.ParseIP(s).To4() == nil} for a parsable address: IPv4-mapped addresses count as IPv4. */
    private static boolean isIPv6(String ip) {
        final byte[] address = IpLiteral.parse(ip);
        return address != null && address.length == 16;
    }

    /** Go's flag package: -name value, -name=value, one or two dashes, up to the first non-flag or "--". */
    static Options parse(String[] args) throws CtlException {
        String containerIp = "";
        String hostIp = "";
        String proto = "tcp";
        int containerPort = -1;
        int hostPort = -1;
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            if (arg.equals("--") || !arg.startsWith("-") || arg.equals("-")) {
                break;
            }
            final String flag = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            final int eq = flag.indexOf('=');
            final String name = eq < 0 ? flag : flag.substring(0, eq);
            if (!List.of("container-ip", "container-port", "host-ip", "host-port", "proto").contains(name)) {
                throw new CtlException("flag provided but not defined: -" + name);
            }
            final String value;
            if (eq >= 0) {
                value = flag.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new CtlException("flag needs an argument: -" + name);
            }
            switch (name) {
                case "container-ip" -> containerIp = value;
                case "host-ip" -> hostIp = value;
                case "proto" -> proto = value;
                case "container-port" -> containerPort = port(name, value);
                default -> hostPort = port(name, value);
            }
        }
        return new Options(containerIp, containerPort, hostIp, hostPort, proto);
    }

    private static int port(String flag, String value) throws CtlException {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new CtlException("invalid value \"" + value + "\" for flag -" + flag + ": parse error");
        }
    }

    /**
     * fd 3 as Docker passes it: a pipe. Anything else there (run by hand, fd 3 then being whatever the JVM opened)
     * is left alone, so a report never lands in a jar or an archive.
     */
    static final class ReadyPipe {
        private final OutputStream out;

        private ReadyPipe(OutputStream out) {
            this.out = out;
        }

        static ReadyPipe open() {
            try {
                final String target = java.nio.file.Files.readSymbolicLink(READY_FD).toString();
                if (target.startsWith("pipe:") || target.startsWith("socket:")) {
                    return new ReadyPipe(new java.io.FileOutputStream(READY_FD.toFile()));
                }
            } catch (IOException e) {
                // fd 3 is closed: nobody is waiting for a report.
            }
            return new ReadyPipe(OutputStream.nullOutputStream());
        }

        static ReadyPipe to(OutputStream out) {
            return new ReadyPipe(out);
        }

        /** Writes the report once and closes the pipe, which is what lets Docker go on. */
        void report(String text) {
            try (OutputStream o = out) {
                o.write(text.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // Docker stopped waiting (its 16 s timeout): nothing left to tell.
            }
        }
    }
}
