package org.vsys.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Text output in columns: each column as wide as its widest cell (or its minimum), two spaces
 * between columns, the last column not padded, one row a line. What {@code %-Ns} of
 * {@link String#format} prints, without {@link java.util.Formatter} on the start-up path.
 */
final class Table {
    private final int[] width;
    private final List<String[]> rows = new ArrayList<>();

    /** A table whose first row is {@code header}. */
    Table(String... header) {
        width = new int[header.length];
        add(header);
    }

    /** Column {@code col} is at least {@code w} characters wide. */
    Table atLeast(int col, int w) {
        width[col] = Math.max(width[col], w);
        return this;
    }

    Table add(String... cells) {
        if (cells.length != width.length) {
            throw new IllegalArgumentException(cells.length + " cells in a table of " + width.length + " columns");
        }
        rows.add(cells);
        for (int i = 0; i < cells.length - 1; i++) {
            width[i] = Math.max(width[i], cells[i].length());
        }
        return this;
    }

    String render() {
        StringBuilder b = new StringBuilder(64 + rows.size() * 64);
        String nl = System.lineSeparator();
        for (String[] r : rows) {
            for (int i = 0; i < r.length - 1; i++) {
                pad(b, r[i], width[i]).append("  ");
            }
            b.append(r[r.length - 1]).append(nl);
        }
        return b.toString();
    }

    /** {@code %-Ws}: s, then spaces up to W chars (none when s is longer). */
    static StringBuilder pad(StringBuilder b, String s, int width) {
        b.append(s);
        for (int i = s.length(); i < width; i++) {
            b.append(' ');
        }
        return b;
    }
}
