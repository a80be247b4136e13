package dev.rootlessjkit.parent.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The --help text, laid out as RootlessKit's: flags grouped by category, categories in alphabetical order. */
final class HelpText {
    static final String NAME = "rootlessjkit";
    static final String USAGE = "Linux-native fakeroot using user namespaces";

    private static final String DESCRIPTION = """
            rootlessjkit is a Linux-native implementation of "fake root" using user_namespaces(7). It accepts
            RootlessKit's flags and serves RootlessKit's REST API, so it can stand in for rootlesskit.

            Examples:
              # spawn a shell as root in a new user namespace and a new mount namespace
              rootlessjkit bash

              # make /etc writable
              rootlessjkit --copy-up=/etc bash

              # set mount propagation to rslave
              rootlessjkit --propagation=rslave bash

              # create a network namespace with the built-in user-mode network stack,
              # and expose 80/tcp of the namespace as 8080/tcp on the host
              rootlessjkit --copy-up=/etc --net=usernet --disable-host-loopback --port-driver=builtin \\
                -p 127.0.0.1:8080:80/tcp bash

            Boolean flags are given bare (--pidns) or with an attached value (--pidns=false). The first argument
            that is not a flag, or the first after "--", starts the command.

            Environment: ROOTLESSJKIT_USERNET_RESOLV_CONF=FILE makes the DNS forwarder of --net=usernet ask the
            nameservers of FILE instead of the host's /etc/resolv.conf.

            Note: the subordinate ids come from /etc/subuid and /etc/subgid, which the real root user configures,
            unless --single-id-mapping is given.
            """;

    private HelpText() {
    }

    static String render(String version) {
        StringBuilder out = new StringBuilder();
        out.append("NAME:\n   ").append(NAME).append(" - ").append(USAGE).append("\n\n");
        out.append("USAGE:\n   ").append(NAME).append(" [global options] [arguments...]\n\n");
        out.append("VERSION:\n   ").append(version).append("\n\n");
        out.append("DESCRIPTION:\n");
        DESCRIPTION.lines().forEach(line -> out.append(line.isEmpty() ? "" : "   ").append(line).append('\n'));
        out.append("\nOPTIONS:\n");

        Map<Category, List<Flag>> byCategory = new EnumMap<>(Category.class);
        int width = 0;
        for (Flag flag : Flag.values()) {
            byCategory.computeIfAbsent(flag.category, c -> new ArrayList<>()).add(flag);
            width = Math.max(width, label(flag).length());
        }
        List<Category> categories = new ArrayList<>(byCategory.keySet());
        categories.sort(Comparator.comparing(c -> c.title));
        for (Category category : categories) {
            out.append("  ").append(category.title).append(":\n");
            for (Flag flag : byCategory.get(category)) {
                String label = label(flag);
                out.append("    ").append(label).append(" ".repeat(width - label.length() + 2))
                        .append(flag.usage).append(defaultSuffix(flag)).append('\n');
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static String label(Flag flag) {
        String value = flag.kind == Flag.Kind.BOOL ? "" : " value";
        String label = flag.longName() + value;
        return flag.shortName == null ? label : label + ", -" + flag.shortName + value;
    }

    /** Defaults that are not empty; the usage text of the others says what happens. */
    private static String defaultSuffix(Flag flag) {
        String value = flag.defaultValue;
        if (value.isEmpty()) {
            return "";
        }
        boolean bare = flag.kind == Flag.Kind.BOOL || value.chars().allMatch(Character::isDigit);
        return " (default: " + (bare ? value : "\"" + value + "\"") + ")";
    }
}
