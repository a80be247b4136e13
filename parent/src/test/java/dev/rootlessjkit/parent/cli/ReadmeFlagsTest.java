package dev.rootlessjkit.parent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's flag table against {@code --help}: the same flags, none missing on either side, and where --help
 * names a default for a flag that has a row of its own, the row shows that default.
 */
class ReadmeFlagsTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Pattern FLAG = Pattern.compile("(?<![\\w-])--?[a-z][a-z0-9-]*");
    private static final Pattern QUOTED_DEFAULT = Pattern.compile("\\(default: \"([^\"]*)\"\\)$");

    /** One row of the README's table: the flags of its first cell and the text of its default cell. */
    private record Row(List<String> flags, String defaultCell) {
    }

    @Test
    void readmeTableListsExactlyTheFlagsOfHelp() throws IOException {
        final Map<String, String> help = helpFlags();
        final TreeSet<String> documented = new TreeSet<>();
        readmeRows().forEach(row -> documented.addAll(row.flags()));
        assertFalse(documented.isEmpty(), "no flag table found in " + README);
        final TreeSet<String> missing = new TreeSet<>(help.keySet());
        missing.removeAll(documented);
        final TreeSet<String> unknown = new TreeSet<>(documented);
        unknown.removeAll(help.keySet());
        assertEquals(List.of(), List.copyOf(missing), "flags of --help missing from the README's table");
        assertEquals(List.of(), List.copyOf(unknown), "flags in the README's table that --help does not know");
    }

    @Test
    void readmeShowsTheDefaultsOfHelp() throws IOException {
        final Map<String, String> help = helpFlags();
        int checked = 0;
        for (Row row : readmeRows()) {
            final List<String> longFlags = row.flags().stream().filter(f -> f.startsWith("--")).toList();
            if (longFlags.size() != 1 || help.get(longFlags.get(0)).isEmpty()) {
                continue;
            }
            final String expected = "`" + help.get(longFlags.get(0)) + "`";
            assertTrue(row.defaultCell().contains(expected),
                    () -> "README row for " + longFlags.get(0) + " shows default \"" + row.defaultCell()
                            + "\", --help says " + expected);
            checked++;
        }
        assertTrue(checked >= 5, "only " + checked + " defaults checked: is the table still there?");
    }

    /** Every flag name of the OPTIONS section (long and short), mapped to its quoted default ("" when none). */
    private static Map<String, String> helpFlags() {
        final String text = HelpText.render("0.0.0");
        final Map<String, String> flags = new LinkedHashMap<>();
        boolean inOptions = false;
        for (String line : text.split("\n")) {
            if (line.equals("OPTIONS:")) {
                inOptions = true;
                continue;
            }
            if (!inOptions || !line.startsWith("    -")) {
                continue;
            }
            final String label = line.strip().split(" {2,}")[0];
            final Matcher d = QUOTED_DEFAULT.matcher(line);
            final String defaultValue = d.find() ? d.group(1) : "";
            final Matcher m = FLAG.matcher(label);
            while (m.find()) {
                flags.put(m.group(), defaultValue);
            }
        }
        assertTrue(flags.size() > 20, () -> "could not read the flags of --help:\n" + text);
        return flags;
    }

    /** The rows of the table whose header is "| flag | default | meaning |". */
    private static List<Row> readmeRows() throws IOException {
        final List<Row> rows = new ArrayList<>();
        boolean inTable = false;
        for (String line : Files.readAllLines(README)) {
            if (line.startsWith("| flag | default |")) {
                inTable = true;
                continue;
            }
            if (inTable && !line.startsWith("|")) {
                break;
            }
            if (!inTable || line.startsWith("|---")) {
                continue;
            }
            // Cells are split on " | ", so an escaped \| inside a cell stays within it.
            final String[] cells = line.substring(1).split(" \\| ");
            final List<String> flags = new ArrayList<>();
            // Only the flag names: a value such as `--net=host\|none` or `[IP:]PORT` is not a flag.
            final Matcher m = FLAG.matcher(cells[0].replaceAll("=[^`]*`", "`"));
            while (m.find()) {
                flags.add(m.group());
            }
            rows.add(new Row(flags, cells.length > 1 ? cells[1] : ""));
        }
        return rows;
    }
}
