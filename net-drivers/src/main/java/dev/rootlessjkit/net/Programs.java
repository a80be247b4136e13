package dev.rootlessjkit.net;

import dev.rootlessjkit.linux.BoundedHelper;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.ProgramPath;
import dev.rootlessjkit.linux.WaitStatus;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Finds the external programs the network drivers run. */
public final class Programs {
    /**
     * A --help or --version answers at once, lxc-user-nic's create within a second; one that has not finished in
     * this time is killed and counts as failed.
     */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);

    private Programs() {
    }

    /**
     * {@code name} found by {@link ProgramPath}, for a program the driver cannot work without.
     *
     * @param debianPackage the package that provides it, named in the error
     */
    public static Path require(String name, String debianPackage) throws NetworkDriverException {
        return ProgramPath.find(name).orElseThrow(() -> new NetworkDriverException(name + " not found"
                + (name.contains("/") ? "" : " in $PATH") + ": install the " + debianPackage
                + " package (apt-get install " + debianPackage + ")"));
    }

    /** What a short run ({@code --help}, {@code --version}, lxc-user-nic's create) printed, and its exit status. */
    public record ProbeResult(int exitCode, String output) {
    }

    /**
     * Runs {@code binary args...} to completion, stdin on /dev/null, stderr merged into stdout, through
     * {@link BoundedHelper}: no JDK process reaper thread is left behind, and a probe that hangs is killed.
     */
    public static ProbeResult probe(Path binary, String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(binary.toString()));
        command.addAll(List.of(args));
        final BoundedHelper.Outcome outcome;
        try {
            outcome = BoundedHelper.run(Linux.load(), binary.toString(), command, PROBE_TIMEOUT);
        } catch (ErrnoException e) {
            throw new IOException("cannot run " + binary + ": " + e.getMessage(), e);
        }
        if (outcome.timedOut()) {
            throw new IOException(outcome.describeTimeout(PROBE_TIMEOUT));
        }
        final WaitStatus status = outcome.status();
        return new ProbeResult(status.exited() ? status.exitCode() : 128 + status.signal(), outcome.output());
    }
}
