package dev.rootlessjkit.parent.cli;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The raw strings of a command line, free of parser types: the rules that turn them into a configuration see
 * only this. Absent flags read as their defaults.
 */
final class ParsedFlags {
    private final Map<Flag, String> values;
    private final Map<Flag, List<String>> lists;
    private final List<String> command;

    ParsedFlags(Map<Flag, String> values, Map<Flag, List<String>> lists, List<String> command) {
        this.values = new EnumMap<>(Flag.class);
        this.values.putAll(values);
        this.lists = new EnumMap<>(Flag.class);
        for (Map.Entry<Flag, List<String>> entry : lists.entrySet()) {
            this.lists.put(entry.getKey(), List.copyOf(entry.getValue()));
        }
        this.command = List.copyOf(command);
    }

    /** The value of a BOOL or STRING flag: the last one given, else its default. */
    String value(Flag flag) {
        return values.getOrDefault(flag, flag.defaultValue);
    }

    /** A BOOL flag, parsed with the spellings Go's strconv.ParseBool accepts. */
    boolean bool(Flag flag) throws UsageException {
        String v = value(flag);
        return switch (v) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw new UsageException("invalid boolean value \"" + v + "\" for " + flag.longName());
        };
    }

    /** All items of a LIST flag in command-line order, comma-separated values split; empty when absent. */
    List<String> list(Flag flag) {
        List<String> items = new ArrayList<>();
        for (String value : lists.getOrDefault(flag, List.of())) {
            // split(",", -1) keeps empty items, as Go's strings.Split does, so they are reported, not dropped.
            items.addAll(List.of(value.split(",", -1)));
        }
        return items;
    }

    /** The command and its arguments; empty when none was given. */
    List<String> command() {
        return command;
    }
}
