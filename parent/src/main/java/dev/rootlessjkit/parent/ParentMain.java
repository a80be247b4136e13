package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.parent.cli.Cli;
import dev.rootlessjkit.parent.cli.CliOutcome;
import dev.rootlessjkit.parent.cli.UsageException;
import dev.rootlessjkit.port.PreboundListeners;
import java.nio.file.Files;
import java.nio.file.Path;

/** Entry point of {@code rootlessjkit}: exits with CMD's status, 255 if a signal ended it, 1 for our errors. */
public final class ParentMain {
    /** The jar directory, from the launcher: jffi's native library is unpacked there by the build. */
    private static final String DIST_PROPERTY = "rootlessjkit.dist";
    private static final String JFFI_LIBRARY_PATH = "jffi.boot.library.path";
    /** The launcher's note on the start-up archives it passed or left out, for the --debug output. */
    private static final String ARCHIVES_PROPERTY = "rootlessjkit.archives";

    private ParentMain() {
    }

    public static void main(String[] args) {
        final Log log = new Log("parent", false);
        final CliOutcome outcome;
        try {
            outcome = Cli.parse(args);
        } catch (UsageException e) {
            log.error(e.getMessage());
            System.exit(1);
            return;
        }
        if (outcome instanceof CliOutcome.Print print) {
            System.out.print(print.text());
            System.out.flush();
            System.exit(print.exitCode());
            return;
        }
        final CliOutcome.Run run = (CliOutcome.Run) outcome;
        final Log runLog = log.withDebug(run.config().debug());
        run.warnings().forEach(runLog::warn);
        runLog.debug("JDK " + Runtime.version() + " at " + System.getProperty("java.home") + "; start-up archives: "
                + System.getProperty(ARCHIVES_PROPERTY, "none (not started by the launcher)"));
        useUnpackedJffi();
        final Linux linux = Linux.load();
        // The -p ports listen from here on: a client that comes while the child boots waits in the backlog.
        final PreboundListeners prebound = PreboundListeners.bind(run.config().ports().kind(), Sockets.load(),
                run.config().publish());
        runLog.debug("libc bindings loaded" + (prebound.size() > 0 ? "; listening on " + prebound.size()
                + " published port(s)" : ""));
        int exitCode;
        try {
            exitCode = new Parent(run.config(), linux, runLog).run(prebound);
        } catch (ParentException e) {
            runLog.error(e.getMessage());
            exitCode = 1;
        } finally {
            prebound.close();
        }
        runLog.debug("exiting with " + exitCode);
        // Exit from main itself: the child's death signal is tied to this thread, which must outlive the run.
        System.exit(exitCode);
    }

    /**
     * jffi's native library as unpacked by the build (jffi/jni/ARCH-Linux in the jar directory), so that jffi does
     * not extract it to a temporary file on every start; the child is given the same path.
     */
    private static void useUnpackedJffi() {
        final String dist = System.getProperty(DIST_PROPERTY);
        if (dist == null || System.getProperty(JFFI_LIBRARY_PATH) != null) {
            return;
        }
        final String arch = System.getProperty("os.arch");
        final Path library = Path.of(dist, "jffi", "jni", ("amd64".equals(arch) ? "x86_64" : arch) + "-Linux");
        if (Files.isDirectory(library)) {
            System.setProperty(JFFI_LIBRARY_PATH, library.toString());
        }
    }
}
