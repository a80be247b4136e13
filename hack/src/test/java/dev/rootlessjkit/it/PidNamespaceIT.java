package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** --pidns: the command is a child of PID 1 with a /proc of its own, and orphans are reaped. */
class PidNamespaceIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void commandIsChildOfPidOneAndSeesItsOwnProc() {
        final Result result = sandbox.rootless().launch("--pidns", "sh", "-c",
                "echo ppid=$PPID; echo pid=$$; echo nspid=$(grep '^NSpid:' /proc/$$/status | cut -f2-);"
                        + " echo ns=$(readlink /proc/self/ns/pid); echo procs=$(ls -d /proc/[0-9]* | wc -l)").run();

        Expect.exitCode(0, result);
        final Map<String, String> seen = result.keyValues();
        assertEquals("1", seen.get("ppid"), result::describe);
        // With a /proc of the new namespace, the command's own entry lists one PID: its PID in that namespace.
        assertEquals(seen.get("pid"), seen.get("nspid"), result::describe);
        assertNotEquals(Host.pidNamespace().toString(), seen.get("ns"), result::describe);
        assertTrue(Integer.parseInt(seen.get("procs")) < 10, () -> "the host's /proc is visible\n" + result.describe());
    }

    /**
     * Five orphans (their parent subshell exits at once) wait for a file, then exit. PID 1 must collect them: once
     * they ended, no zombie may stay. The script polls with a generous limit instead of asserting a timing.
     */
    @Test
    void orphansAreReaped() {
        final String script = String.join("\n",
                "go=\"$0\"",
                "for i in 1 2 3 4 5; do (sh -c 'while [ ! -e \"$0\" ]; do sleep 0.05; done' \"$go\" &); done",
                "orphans() { grep -l '^PPid:[[:space:]]*1$' /proc/[0-9]*/status 2>/dev/null"
                        + " | grep -v \"^/proc/$$/status$\" | xargs -r grep -l '^Name:[[:space:]]*sh$' 2>/dev/null"
                        + " | wc -l; }",
                "zombies() { grep -l '^State:[[:space:]]*Z' /proc/[0-9]*/status 2>/dev/null | wc -l; }",
                "i=0; while [ \"$(orphans)\" -lt 5 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done",
                "echo orphans=$(orphans)",
                "touch \"$go\"",
                "i=0; while { [ \"$(orphans)\" -gt 0 ] || [ \"$(zombies)\" -gt 0 ]; } && [ $i -lt 200 ]; do"
                        + " sleep 0.05; i=$((i+1)); done",
                "echo left=$(orphans) zombies=$(zombies)");
        final String go = sandbox.workspace().path().resolve("go").toString();

        final Result result = sandbox.rootless().launch("--pidns", "sh", "-c", script, go).run();

        Expect.exitCode(0, result);
        assertEquals(List.of("orphans=5", "left=0 zombies=0"), result.stdoutLines(), result::describe);
    }
}
