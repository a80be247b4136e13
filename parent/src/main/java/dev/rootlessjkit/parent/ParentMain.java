package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.parent.cli.Cli;
import dev.rootlessjkit.parent.cli.CliOutcome;
import dev.rootlessjkit.parent.cli.UsageException;

/** Entry point of {@code rootlessjkit}: exits with CMD's status, 255 if a signal ended it, 1 for our errors. */
public final class ParentMain {
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
        int exitCode;
        try {
            exitCode = new Parent(run.config(), Linux.load(), runLog).run();
        } catch (ParentException e) {
            runLog.error(e.getMessage());
            exitCode = 1;
        }
        // Exit from main itself: the child's death signal is tied to this thread, which must outlive the run.
        System.exit(exitCode);
    }
}
