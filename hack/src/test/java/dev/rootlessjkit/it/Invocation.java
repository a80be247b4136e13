package dev.rootlessjkit.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One command to run as the test user: environment, stdin, deadline, then {@link #run()} or {@link #start()}. */
final class Invocation {

    /** Generous: a JVM start on a loaded 2-core machine can take seconds, and a hang must still end the test. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    /**
     * Written by the shell that then execs the program, so it is the PID of the program itself: runuser and sudo
     * fork, so the PID of the process we start is not the launcher's.
     */
    private static final String RECORD_PID_AND_EXEC = "echo $$ > \"$0\" && exec \"$@\"";

    private final Rootless rootless;
    private final List<String> argv;
    private final Path pidFile;
    private final Map<String, String> env = new LinkedHashMap<>();
    private String stdin;
    private Path hostResolvConf;
    private Duration timeout = DEFAULT_TIMEOUT;

    Invocation(Rootless rootless, List<String> argv, Path pidFile) {
        this.rootless = rootless;
        this.argv = List.copyOf(argv);
        this.pidFile = pidFile;
        env.put("TMPDIR", rootless.workspace().tmpdir().toString());
    }

    Invocation env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /**
     * Runs the launcher in a mount namespace of its own in which {@code file} stands for the host's
     * /etc/resolv.conf, so slirp4netns and pasta forward DNS to a server of the test's instead of the machine's
     * resolver. Root only.
     */
    Invocation hostResolvConf(Path file) {
        hostResolvConf = file;
        return this;
    }

    Invocation stdin(String text) {
        stdin = text;
        return this;
    }

    Invocation timeout(Duration value) {
        timeout = value;
        return this;
    }

    Result run() {
        try (Running running = start()) {
            return running.waitFor();
        }
    }

    Running start() {
        final List<String> command = new ArrayList<>();
        if (hostResolvConf != null) {
            command.addAll(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                    "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"", hostResolvConf.toString()));
        }
        command.addAll(Host.asUser(rootless.user()));
        // The variables go on the command line: sudo would drop them from an inherited environment.
        command.add("env");
        env.forEach((name, value) -> command.add(name + "=" + value));
        command.addAll(List.of("sh", "-c", RECORD_PID_AND_EXEC, pidFile.toString()));
        command.addAll(argv);
        try {
            final Path out = Files.createTempFile("rjit-out", ".txt");
            final Path err = Files.createTempFile("rjit-err", ".txt");
            final List<Path> scratch = new ArrayList<>(List.of(out, err));
            final ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(rootless.workspace().path().toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            // The launcher's environment must be ours, not whatever the suite itself inherited from a launcher.
            builder.environment().keySet().removeIf(Invocation::belongsToALauncher);
            if (stdin == null) {
                builder.redirectInput(Path.of("/dev/null").toFile());
            } else {
                final Path in = Files.createTempFile("rjit-in", ".txt");
                Files.writeString(in, stdin, StandardCharsets.UTF_8);
                builder.redirectInput(in.toFile());
                scratch.add(in);
            }
            final Running running = new Running(command, builder.start(), pidFile, out, err, scratch, timeout);
            rootless.track(running);
            return running;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    private static boolean belongsToALauncher(String name) {
        return name.startsWith("ROOTLESSKIT_") || name.startsWith("_ROOTLESSKIT") || name.startsWith("_ROOTLESSJKIT")
                || name.equals("LISTEN_PID") || name.equals("LISTEN_FDS")
                || name.equals("LISTEN_FDNAMES");
    }
}
