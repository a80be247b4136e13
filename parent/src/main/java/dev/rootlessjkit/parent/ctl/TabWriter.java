package dev.rootlessjkit.parent.ctl;

import java.util.ArrayList;
import java.util.List;

/**
 * The subset of Go's text/tabwriter that rootlessctl's tables use ({@code NewWriter(w, 4, 8, 4, ' ', 0)}, every
 * cell tab-terminated): each column is as wide as its widest cell plus 4, at least 4, cells left-aligned and
 * padded with spaces, so lines keep their trailing spaces.
 */
final class TabWriter {
    private static final int MIN_WIDTH = 4;
    private static final int PADDING = 4;

    private final List<String[]> rows = new ArrayList<>();

    /** One line of cells, each of which ends with a tab in rootlessctl's format strings. */
    void row(String... cells) {
        rows.add(cells);
    }

    String render() {
        final int columns = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        final int[] width = new int[columns];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], Math.max(MIN_WIDTH, r[i].codePointCount(0, r[i].length()) + PADDING));
            }
        }
        final StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                b.append(r[i]).append(" ".repeat(width[i] - r[i].codePointCount(0, r[i].length())));
            }
            b.append('\n');
        }
        return b.toString();
    }
}
