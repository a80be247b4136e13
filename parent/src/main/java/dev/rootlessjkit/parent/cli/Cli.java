package dev.rootlessjkit.parent.cli;

import dev.rootlessjkit.parent.Version;

/**
 * The rootlessjkit command line: RootlessKit's flags, defaults, rules and messages, plus our own driver names and
 * --single-id-mapping.
 */
public final class Cli {

    private Cli() {
    }

    /**
     * Reads argv (without the program name).
     *
     * @return what to run, or what to print for --help, --version and --print-semver
     * @throws UsageException for any mistake on the command line, with a one-line message for the user
     */
    public static CliOutcome parse(String[] args) throws UsageException {
        ParsedFlags flags = FlagParser.parse(args);
        // Same precedence as RootlessKit: help and version win over everything, even other invalid flags' values;
        // --print-semver is answered before the command and the rules are checked.
        if (flags.bool(Flag.HELP)) {
            return new CliOutcome.Print(HelpText.render(Version.current().text()), 0);
        }
        if (flags.bool(Flag.VERSION)) {
            return new CliOutcome.Print(HelpText.NAME + " version " + Version.current().text() + "\n", 0);
        }
        String semver = flags.value(Flag.PRINT_SEMVER);
        if (!semver.isEmpty()) {
            return new CliOutcome.Print(semverComponent(semver) + "\n", 0);
        }
        return ConfigBuilder.build(flags);
    }

    private static int semverComponent(String component) throws UsageException {
        Version version = Version.current();
        return switch (component) {
            case "major" -> version.major();
            case "minor" -> version.minor();
            case "patch" -> version.patch();
            default -> throw new UsageException(
                    "expected --print-semver=(major|minor|patch), got \"" + component + "\"");
        };
    }
}
