package dev.rootlessjkit.net;

import dev.rootlessjkit.net.api.NetworkDriverException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the external programs the network drivers run. */
public final class Programs {
    private Programs() {
    }

    /** {@code name} as given when it contains a slash, else the first executable of that name in $PATH. */
    public static Optional<Path> find(String name) {
        if (name.contains("/")) {
            final Path path = Path.of(name);
            return Files.isRegularFile(path) && Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        final String searchPath = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : searchPath.split(":")) {
            final Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Like {@link #find}, for a program the driver cannot work without.
     *
     * @param debianPackage the package that provides it, named in the error
     */
    public static Path require(String name, String debianPackage) throws NetworkDriverException {
        return find(name).orElseThrow(() -> new NetworkDriverException(name + " not found"
                + (name.contains("/") ? "" : " in $PATH") + ": install the " + debianPackage
                + " package (apt-get install " + debianPackage + ")"));
    }

    /** What a short probe run ({@code --help}, {@code --version}) printed, and its exit status. */
    public record ProbeResult(int exitCode, String output) {
    }

    /** Runs {@code binary args...} to completion, stdin on /dev/null, stderr merged into stdout. */
    public static ProbeResult probe(Path binary, String... args) throws IOException {
        final String[] command = new String[args.length + 1];
        command[0] = binary.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        final String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            return new ProbeResult(process.waitFor(), output);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while running " + binary, e);
        }
    }
}
