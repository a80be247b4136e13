package dev.rootlessjkit.it;

import java.util.List;
import java.util.stream.Collectors;

/** Quoting for the few places that must hand a whole command line to a shell (script(1), set-up scripts). */
final class Shell {

    private Shell() {
    }

    static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    static String join(List<String> words) {
        return words.stream().map(Shell::quote).collect(Collectors.joining(" "));
    }
}
