package dev.rootlessjkit.parent.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits argv into flags and the command the way RootlessKit's Go flag parsing does: one or two dashes,
 * {@code --flag value} or {@code --flag=value}, booleans bare or with an attached value only (a separate word is
 * the next argument: {@code --pidns true} runs {@code true}), the last of a repeated flag wins, and {@code --} or
 * the first word that is not a flag starts the command ({@code rootlessjkit sh -c id} passes {@code -c} to sh).
 *
 * <p>Written by hand rather than with picocli: this runs on every start, and picocli's first parse costs
 * ~60 ms of a cold JVM (its Java 5 class files cannot go into a CDS archive either).
 */
final class FlagParser {
    private static final Map<String, Flag> BY_NAME = new HashMap<>();

    static {
        for (Flag flag : Flag.values()) {
            BY_NAME.put(flag.name, flag);
            if (flag.shortName != null) {
                BY_NAME.put(flag.shortName, flag);
            }
        }
    }

    private FlagParser() {
    }

    static ParsedFlags parse(String[] argv) throws UsageException {
        final Map<Flag, String> values = new EnumMap<>(Flag.class);
        final Map<Flag, List<String>> lists = new EnumMap<>(Flag.class);
        int i = 0;
        while (i < argv.length) {
            final String arg = argv[i];
            if (arg.equals("--")) {
                i++;
                break;
            }
            if (arg.length() < 2 || arg.charAt(0) != '-') {
                break;
            }
            final String body = arg.substring(arg.startsWith("--") ? 2 : 1);
            final int eq = body.indexOf('=');
            final String name = eq < 0 ? body : body.substring(0, eq);
            final Flag flag = BY_NAME.get(name);
            if (flag == null || name.isEmpty() || name.startsWith("-")) {
                throw new UsageException("unknown flag: " + (eq < 0 ? arg : arg.substring(0, arg.indexOf('='))));
            }
            i++;
            final String value;
            if (eq >= 0) {
                value = body.substring(eq + 1);
            } else if (flag.kind == Flag.Kind.BOOL) {
                value = "true";
            } else if (i < argv.length) {
                value = argv[i++];
            } else {
                throw new UsageException("flag needs an argument: " + flag.longName());
            }
            if (flag.kind == Flag.Kind.LIST) {
                lists.computeIfAbsent(flag, f -> new ArrayList<>()).add(value);
            } else {
                values.put(flag, value);
            }
        }
        return new ParsedFlags(values, lists, Arrays.asList(argv).subList(i, argv.length));
    }
}
