package dev.rootlessjkit.it;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** What a finished process left behind: its exit status and everything it printed. */
record Result(List<String> command, int exitCode, String stdout, String stderr) {

    /** Exit status reported for a process we had to kill because it outlived its timeout. */
    static final int TIMED_OUT = -1;

    String output() {
        return stdout + stderr;
    }

    /** Stdout lines with runs of blanks made one space (uid_map pads its columns). */
    List<String> stdoutLines() {
        return Arrays.stream(stdout.strip().split("\n")).map(line -> line.strip().replaceAll("\\s+", " ")).toList();
    }

    /** Stdout lines of the form key=value, as the tests' scripts print what they observed. */
    Map<String, String> keyValues() {
        return stdoutLines().stream().filter(line -> line.contains("="))
                .collect(Collectors.toMap(line -> line.substring(0, line.indexOf('=')),
                        line -> line.substring(line.indexOf('=') + 1), (first, last) -> last));
    }

    /** Non-blank stderr lines; the tests count them to check that errors are one line. */
    List<String> stderrLines() {
        return Arrays.stream(stderr.split("\n")).filter(line -> !line.isBlank()).toList();
    }

    /** The same result with a remark for the failure message (kept apart from the process's own output). */
    Result annotate(String note) {
        return new Result(command, exitCode, stdout, stderr + "\n[test note] " + note);
    }

    /** Everything needed to understand a failed assertion without re-running the test. */
    String describe() {
        return "command " + command + "\nexit code " + (exitCode == TIMED_OUT ? "(timed out, killed)" : exitCode)
                + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr + "\n--------------";
    }
}
