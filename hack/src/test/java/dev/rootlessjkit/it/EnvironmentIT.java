package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The command gets the caller's environment untouched, plus RootlessKit's three documented variables. */
class EnvironmentIT {

    private static final String CUSTOM = "RJTEST_CUSTOM";
    private static final String CUSTOM_VALUE = "a b\t$c 'd' \"e\"\nsecond line";
    private static final Set<String> ADDED =
            Set.of("ROOTLESSKIT_STATE_DIR", "ROOTLESSKIT_PARENT_EUID", "ROOTLESSKIT_PARENT_EGID");
    /** Set by bash for every program it runs, so a bash launcher script changes them legitimately. */
    private static final Set<String> SHELL_BOOKKEEPING = Set.of("_", "SHLVL");

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void environmentIsUntouchedExceptTheDocumentedVariables() {
        final Rootless rootless = sandbox.rootless();
        final Result direct = rootless.program(List.of("env", "-0")).env(CUSTOM, CUSTOM_VALUE).run();
        final Result inside = rootless.launch("env", "-0").env(CUSTOM, CUSTOM_VALUE).run();
        Expect.exitCode(0, direct);
        Expect.exitCode(0, inside);
        final Map<String, String> outside = parse(direct.stdout());
        final Map<String, String> seen = parse(inside.stdout());

        assertEquals(CUSTOM_VALUE, seen.get(CUSTOM), inside::describe);
        assertTrue(seen.getOrDefault("ROOTLESSKIT_STATE_DIR", "").startsWith("/"), inside::describe);
        assertEquals(Integer.toString(rootless.user().uid()), seen.get("ROOTLESSKIT_PARENT_EUID"), inside::describe);
        assertEquals(Integer.toString(rootless.user().gid()), seen.get("ROOTLESSKIT_PARENT_EGID"), inside::describe);
        final List<String> leaked = seen.keySet().stream()
                .filter(name -> name.startsWith("_ROOTLESSKIT") || name.startsWith("_ROOTLESSJKIT")).toList();
        assertEquals(List.of(), leaked, inside::describe);
        assertEquals(withoutNoise(outside), withoutNoise(seen), inside::describe);
    }

    @Test
    void commandRunsInTheCallersWorkingDirectory() {
        final Result result = sandbox.rootless().launch("pwd").run();

        Expect.exitCode(0, result);
        assertEquals(List.of(sandbox.workspace().path().toString()), result.stdoutLines(), result::describe);
    }

    private static Map<String, String> withoutNoise(Map<String, String> env) {
        final Map<String, String> kept = new LinkedHashMap<>(env);
        kept.keySet().removeAll(ADDED);
        kept.keySet().removeAll(SHELL_BOOKKEEPING);
        return kept;
    }

    /** `env -0` output: NUL-separated NAME=VALUE entries, values may contain newlines. */
    private static Map<String, String> parse(String output) {
        final Map<String, String> env = new LinkedHashMap<>();
        for (final String entry : output.split("\0")) {
            final int equals = entry.indexOf('=');
            if (equals > 0) {
                env.put(entry.substring(0, equals), entry.substring(equals + 1));
            }
        }
        return env;
    }
}
