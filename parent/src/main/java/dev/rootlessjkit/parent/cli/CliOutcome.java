package dev.rootlessjkit.parent.cli;

import dev.rootlessjkit.parent.ParentConfig;

import java.util.List;

/** What the command line asks for: run a command, or only print something and exit. */
public sealed interface CliOutcome permits CliOutcome.Run, CliOutcome.Print {

    /**
     * Run the command.
     *
     * @param config   the validated configuration
     * @param warnings one-line warnings to print (without a prefix) before starting
     */
    record Run(ParentConfig config, List<String> warnings) implements CliOutcome {
        public Run {
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Print {@code text} on stdout as it is (it ends with a newline) and exit with {@code exitCode}.
     * Used for --help, --version and --print-semver.
     */
    record Print(String text, int exitCode) implements CliOutcome {
    }
}
