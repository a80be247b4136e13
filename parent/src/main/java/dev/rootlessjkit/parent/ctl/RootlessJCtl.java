package dev.rootlessjkit.parent.ctl;

import dev.rootlessjkit.net.api.Pcap;
import dev.rootlessjkit.parent.Version;
import dev.rootlessjkit.parent.api.ApiJson;
import dev.rootlessjkit.parent.api.GoJson;
import dev.rootlessjkit.parent.api.Info;
import dev.rootlessjkit.parent.api.PortListing;
import dev.rootlessjkit.port.GoText;
import dev.rootlessjkit.port.InvalidPortSpecException;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortSpecParser;
import dev.rootlessjkit.port.PortStatus;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code rootlessjctl}: the API client, a drop-in for RootlessKit's {@code rootlessctl} with the same
 * subcommands, flags (parsed as urfave/cli does: flags before arguments), output and exit statuses
 * (1 for errors, 3 for an unknown command).
 */
public final class RootlessJCtl {
    private static final String NAME = "rootlessjctl";
    private static final String GLOBAL_HELP = """
            NAME:
               %1$s - RootlessKit API client

            USAGE:
               %1$s [global options] command [command options] [arguments...]

            VERSION:
               %2$s

            COMMANDS:
               list-ports    List ports
               add-ports     Add ports
               remove-ports  Remove ports
               info          Show info
               capture       Write the namespace's traffic to stdout as pcap (--net=usernet)
               help, h       Shows a list of commands or help for one command

            GLOBAL OPTIONS:
               --debug         debug mode (default: false)
               --socket value  Path to api.sock (under the "rootlesskit --state-dir" directory), defaults to $ROOTLESSKIT_STATE_DIR/api.sock
               --help, -h      show help (default: false)
               --version, -v   print the version (default: false)
            """;

    private enum Command {
        LIST_PORTS("list-ports", "List ports", "[flags]", true, ""),
        ADD_PORTS("add-ports", "Add ports", "[flags] PARENTIP:PARENTPORT:CHILDPORT/PROTO "
                + "[PARENTIP:PARENTPORT:CHILDPORT/PROTO...]", true,
                "Add exposed ports. The port spec is similar to `docker run -p`. e.g. \"127.0.0.1:8080:80/tcp\"."),
        REMOVE_PORTS("remove-ports", "Remove ports", "[flags] ID [ID...]", false, ""),
        INFO("info", "Show info", "[flags]", true, ""),
        CAPTURE("capture", "Write the namespace's traffic to stdout as pcap (--net=usernet)", "[flags] > FILE.pcap",
                false, "Streams the frames between the namespace and rootlessjkit's network stack until interrupted;"
                        + " tcpdump -r and Wireshark read it.",
                "   --port value     only TCP and UDP with this source or destination port (default: all traffic)\n"
                        + "   --snaplen value  bytes kept of each frame (default: 262144)\n");

        final String name;
        final String usage;
        final String args;
        final boolean hasJson;
        final String description;
        /** Help lines of the command's flags that take a value, besides --json and --help. */
        final String valueFlags;

        Command(String name, String usage, String args, boolean hasJson, String description) {
            this(name, usage, args, hasJson, description, "");
        }

        Command(String name, String usage, String args, boolean hasJson, String description, String valueFlags) {
            this.name = name;
            this.usage = usage;
            this.args = args;
            this.hasJson = hasJson;
            this.description = description;
            this.valueFlags = valueFlags;
        }

        boolean takesValue(String flag) {
            return !flag.isEmpty() && valueFlags.contains("--" + flag + " value");
        }

        static Command of(String name) {
            for (Command c : values()) {
                if (c.name.equals(name)) {
                    return c;
                }
            }
            return null;
        }

        String help() {
            final StringBuilder b = new StringBuilder()
                    .append("NAME:\n   ").append(NAME).append(' ').append(name).append(" - ").append(usage)
                    .append("\n\nUSAGE:\n   ").append(NAME).append(' ').append(name).append(" [command options] ")
                    .append(args).append("\n\n");
            if (!description.isEmpty()) {
                b.append("DESCRIPTION:\n   ").append(description).append("\n\n");
            }
            b.append("OPTIONS:\n");
            if (hasJson) {
                b.append("   --json      Prints as JSON (default: false)\n");
            }
            b.append(valueFlags);
            return b.append("   --help, -h  show help (default: false)\n   \n").toString();
        }
    }

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;

    RootlessJCtl(Map<String, String> env, PrintStream out, PrintStream err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        final int status = new RootlessJCtl(System.getenv(), System.out, System.err).run(args);
        System.out.flush();
        System.exit(status);
    }

    int run(String[] args) {
        String socket = null;
        int i = 0;
        for (; i < args.length; i++) {
            final String a = args[i];
            if (a.equals("--")) {
                i++;
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                break;
            }
            final String flag = a.replaceFirst("^--?", "");
            final int eq = flag.indexOf('=');
            final String name = eq < 0 ? flag : flag.substring(0, eq);
            switch (name) {
                case "debug" -> {
                    // Accepted for compatibility; there is nothing more to say at debug level.
                }
                case "socket" -> {
                    if (eq >= 0) {
                        socket = flag.substring(eq + 1);
                    } else if (i + 1 < args.length) {
                        socket = args[++i];
                    } else {
                        return usageError("flag needs an argument: -socket", globalHelp());
                    }
                }
                case "help", "h" -> {
                    out.print(globalHelp());
                    return 0;
                }
                case "version", "v" -> {
                    out.println(NAME + " version " + version());
                    return 0;
                }
                default -> {
                    return usageError("flag provided but not defined: -" + name, globalHelp());
                }
            }
        }
        if (i >= args.length) {
            out.print(globalHelp());
            return 0;
        }
        final String name = args[i];
        final List<String> rest = new ArrayList<>(Arrays.asList(args).subList(i + 1, args.length));
        if (name.equals("help") || name.equals("h")) {
            if (rest.isEmpty()) {
                out.print(globalHelp());
                return 0;
            }
            final Command c = Command.of(rest.get(0));
            if (c == null) {
                err.println("No help topic for '" + rest.get(0) + "'");
                return 3;
            }
            out.print(c.help());
            return 0;
        }
        final Command command = Command.of(name);
        if (command == null) {
            err.println("No help topic for '" + name + "'");
            return 3;
        }
        boolean json = false;
        final Map<String, String> values = new HashMap<>();
        final List<String> operands = new ArrayList<>();
        int k = 0;
        for (; k < rest.size(); k++) {
            final String a = rest.get(k);
            if (a.equals("--")) {
                k++;
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                break;
            }
            final String flag = a.replaceFirst("^--?", "");
            if (flag.equals("help") || flag.equals("h")) {
                out.print(command.help());
                return 0;
            }
            if (command.hasJson && (flag.equals("json") || flag.equals("json=true"))) {
                json = true;
            } else if (command.hasJson && flag.equals("json=false")) {
                json = false;
            } else if (command.takesValue(flag.replaceFirst("=.*", ""))) {
                final int eq = flag.indexOf('=');
                if (eq >= 0) {
                    values.put(flag.substring(0, eq), flag.substring(eq + 1));
                } else if (k + 1 < rest.size()) {
                    values.put(flag, rest.get(++k));
                } else {
                    return usageError("flag needs an argument: -" + flag, command.help());
                }
            } else {
                return usageError("flag provided but not defined: -" + flag.replaceFirst("=.*", ""), command.help());
            }
        }
        operands.addAll(rest.subList(k, rest.size()));
        try {
            switch (command) {
                case INFO -> info(client(socket), json);
                case LIST_PORTS -> listPorts(client(socket), json);
                case ADD_PORTS -> addPorts(socket, operands, json);
                case REMOVE_PORTS -> removePorts(socket, operands);
                case CAPTURE -> capture(socket, values);
                default -> throw new IllegalStateException(command.name);
            }
            return 0;
        } catch (CtlException e) {
            out.flush();
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private ApiClient client(String socketFlag) throws CtlException {
        final Path socket;
        if (socketFlag != null && !socketFlag.isEmpty()) {
            socket = Path.of(socketFlag);
        } else {
            final String stateDir = env.get("ROOTLESSKIT_STATE_DIR");
            if (stateDir == null || stateDir.isEmpty()) {
                throw new CtlException("please specify --socket or set $ROOTLESSKIT_STATE_DIR");
            }
            socket = Path.of(stateDir, "api.sock");
        }
        final UnixHttpClient http = new UnixHttpClient(socket);
        http.checkSocket();
        return new ApiClient(http);
    }

    private void info(ApiClient c, boolean json) throws CtlException {
        final Info info = c.info();
        if (json) {
            out.println(GoJson.indented(ApiJson.MAPPER, info, "    "));
            return;
        }
        out.println("- REST API version: " + info.apiVersion());
        out.println("- Implementation version: " + info.version());
        out.println("- State Directory: " + info.stateDir());
        out.println("- Child PID: " + info.childPID());
        if (info.networkDriver() != null) {
            out.println("- Network Driver: " + info.networkDriver().driver());
            out.println("  - DNS: [" + String.join(" ", info.networkDriver().dns()) + "]");
            if (!info.networkDriver().childIP().isEmpty()) {
                out.println("  - IP: " + info.networkDriver().childIP());
            }
        }
        if (info.portDriver() != null) {
            out.println("- Port Driver: " + info.portDriver().driver());
            out.println("  - Supported protocols: [" + String.join(" ", info.portDriver().protos()) + "]");
        }
    }

    private void listPorts(ApiClient c, boolean json) throws CtlException {
        final List<PortListing> ports = c.listPorts();
        if (json) {
            // rootlessctl's lines, with our counters after RootlessKit's fields where the driver has them.
            ports.forEach(p -> out.println(GoJson.compact(ApiJson.MAPPER, p)));
            return;
        }
        final TabWriter w = new TabWriter();
        w.row("ID", "PROTO", "PARENTIP", "PARENTPORT", "CHILDIP", "CHILDPORT");
        for (PortListing p : ports) {
            final PortSpec s = p.spec();
            w.row(String.valueOf(p.id()), s.proto(), s.parentIP(), String.valueOf(s.parentPort()), s.childIP(),
                    String.valueOf(s.childPort()));
        }
        out.print(w.render());
    }

    private void addPorts(String socket, List<String> specs, boolean json) throws CtlException {
        if (specs.isEmpty()) {
            throw new CtlException("no port specified");
        }
        // Every spec is parsed before any is sent, so a typo adds nothing.
        final List<PortSpec> parsed = new ArrayList<>();
        for (String s : specs) {
            try {
                parsed.add(PortSpecParser.parse(s));
            } catch (InvalidPortSpecException e) {
                throw new CtlException(e.getMessage());
            }
        }
        final ApiClient c = client(socket);
        for (PortSpec spec : parsed) {
            final PortStatus st = c.addPort(spec);
            out.println(json ? GoJson.compact(ApiJson.MAPPER, st) : String.valueOf(st.id()));
        }
    }

    private void removePorts(String socket, List<String> idTexts) throws CtlException {
        if (idTexts.isEmpty()) {
            throw new CtlException("no ID specified");
        }
        final List<Long> ids = new ArrayList<>();
        for (String s : idTexts) {
            try {
                ids.add(GoText.atoi(s));
            } catch (NumberFormatException e) {
                throw new CtlException(e.getMessage());
            }
        }
        final ApiClient c = client(socket);
        for (long id : ids) {
            c.removePort(id);
            out.println(id);
        }
    }

    private void capture(String socket, Map<String, String> values) throws CtlException {
        final int port = number(values, "port", 0);
        final int snapLength = number(values, "snaplen", Pcap.MAX_SNAP_LENGTH);
        client(socket).capture(port, snapLength, out);
    }

    private static int number(Map<String, String> values, String flag, int otherwise) throws CtlException {
        final String value = values.get(flag);
        if (value == null) {
            return otherwise;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new CtlException("invalid value \"" + value + "\" for flag -" + flag + ": parse error");
        }
    }

    private int usageError(String message, String help) {
        out.print("Incorrect Usage: " + message + "\n\n" + help);
        err.println("error: " + message);
        return 1;
    }

    private static String globalHelp() {
        return String.format(GLOBAL_HELP, NAME, version());
    }

    private static String version() {
        return Version.current().text();
    }
}
