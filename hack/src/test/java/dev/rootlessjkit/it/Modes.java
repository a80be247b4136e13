package dev.rootlessjkit.it;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The process-model variants the lifecycle tests run under, as in RootlessKit's integration-exit-code.sh. */
final class Modes {

    private Modes() {
    }

    /** Without a PID namespace, and with one under each reaper setting. */
    static Stream<List<String>> reaperModes() {
        return Stream.of(
                List.of(),
                List.of("--pidns"),
                List.of("--pidns", "--reaper=false"),
                List.of("--reaper=true", "--pidns"));
    }

    static Stream<List<String>> pidnsOrNot() {
        return Stream.of(List.of(), List.of("--pidns"));
    }

    /** Mode flags followed by the rest of the arguments. */
    static String[] args(List<String> mode, String... rest) {
        final List<String> args = new ArrayList<>(mode);
        args.addAll(List.of(rest));
        return args.toArray(String[]::new);
    }
}
