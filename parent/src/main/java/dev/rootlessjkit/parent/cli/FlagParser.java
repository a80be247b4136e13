package dev.rootlessjkit.parent.cli;

import picocli.CommandLine;
import picocli.CommandLine.IParameterPreprocessor;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Stack;

/**
 * Splits argv into flags and the command with picocli, configured to read a command line the way RootlessKit's
 * (Go flag package) does. The only class that touches picocli; nothing of it outlives {@link #parse}.
 *
 * <p>The spec is built programmatically from {@link Flag} rather than from annotations: no reflection over an
 * annotated class, and the same table feeds --help.
 */
final class FlagParser {

    /**
     * Go booleans take a value only when attached ({@code --pidns=false}); a separate word is the next argument
     * ({@code --pidns true} runs the command {@code true}). picocli's optional-value booleans would swallow that
     * word, so a bare flag gets an explicit "true" pushed in front of whatever follows.
     */
    private static final class BareBoolIsTrue implements IParameterPreprocessor {
        @Override
        public boolean preprocess(Stack<String> args, CommandSpec command, ArgSpec arg, Map<String, Object> info) {
            if (" ".equals(info.get("separator"))) {
                args.push("true");
            }
            return false;
        }
    }

    private static final IParameterPreprocessor BARE_BOOL_IS_TRUE = new BareBoolIsTrue();

    private FlagParser() {
    }

    static ParsedFlags parse(String[] argv) throws UsageException {
        CommandSpec spec = CommandSpec.create();
        for (Flag flag : Flag.values()) {
            spec.addOption(option(flag));
        }
        spec.addPositional(PositionalParamSpec.builder()
                .type(List.class).auxiliaryTypes(String.class).arity("0..*").paramLabel("COMMAND").build());
        spec.parser()
                // The first non-flag word starts the command: "rootlessjkit sh -c id" passes -c to sh.
                .stopAtPositional(true)
                // "--net=a --net=b" means b, as in Go.
                .overwrittenOptionsAllowed(true)
                // "@file" is a command name, not an argument file.
                .expandAtFiles(false)
                // "--state-dir --x" takes "--x" as the value, as in Go.
                .allowOptionsAsOptionParameters(true);
        ParseResult result;
        try {
            result = new CommandLine(spec).parseArgs(argv);
        } catch (CommandLine.ParameterException e) {
            throw new UsageException(describe(e));
        }
        Map<Flag, String> values = new EnumMap<>(Flag.class);
        Map<Flag, List<String>> lists = new EnumMap<>(Flag.class);
        for (OptionSpec option : result.matchedOptions()) {
            Flag flag = (Flag) option.userObject();
            if (flag.kind == Flag.Kind.LIST) {
                lists.put(flag, option.getValue());
            } else {
                values.put(flag, option.getValue());
            }
        }
        List<String> command = result.matchedPositionalValue(0, List.of());
        return new ParsedFlags(values, lists, command);
    }

    /** Go's flag package accepts one or two dashes before any name; so do we. */
    private static OptionSpec option(Flag flag) {
        List<String> names = new ArrayList<>(List.of("--" + flag.name, "-" + flag.name));
        if (flag.shortName != null) {
            names.add("-" + flag.shortName);
            names.add("--" + flag.shortName);
        }
        OptionSpec.Builder b = OptionSpec.builder(names.toArray(new String[0])).userObject(flag);
        switch (flag.kind) {
            case BOOL -> b.type(String.class).arity("0..1").preprocessor(BARE_BOOL_IS_TRUE);
            case STRING -> b.type(String.class).arity("1");
            case LIST -> b.type(List.class).auxiliaryTypes(String.class).arity("1");
        }
        return b.build();
    }

    /** picocli's messages rephrased in the terms of Go's flag package, which RootlessKit users know. */
    private static String describe(CommandLine.ParameterException e) {
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String arg = unmatched.getUnmatched().get(0);
            int eq = arg.indexOf('=');
            return "unknown flag: " + (eq > 0 ? arg.substring(0, eq) : arg);
        }
        if (e instanceof CommandLine.MissingParameterException missing) {
            for (ArgSpec arg : missing.getMissing()) {
                if (arg.userObject() instanceof Flag flag) {
                    return "flag needs an argument: " + flag.longName();
                }
            }
        }
        return e.getMessage();
    }
}
