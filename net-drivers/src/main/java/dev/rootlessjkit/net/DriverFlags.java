package dev.rootlessjkit.net;

import java.util.List;

/**
 * The command line as a network driver's registry entry reads it to make its {@link DriverOptions}: flag values by
 * their long names (without the dashes), the -p specs, the environment, and a place for warnings. The CLI owns the
 * flag table and its defaults; an absent flag reads as its default.
 */
public interface DriverFlags {
    /**
     * Whether this driver is the one that runs. Every driver reads and checks its flags whichever runs, so that a
     * typo is reported the first time (the CLI always did); the rules about the run itself (a conflict with
     * --detach-netns, say) hold only for the driver that runs.
     */
    boolean runs();

    /** The value of a string flag, its default when absent. */
    String value(String flag);

    /** The value of a boolean flag. */
    boolean bool(String flag) throws InvalidOptionsException;

    /** The --port-driver's registered name (an alias given on the command line reads as the name it stands for). */
    String portDriver();

    /** The -p specs that parse, in command-line order; the CLI reports the others whichever driver runs. */
    List<PublishedPort> published();

    /** An environment variable, or null. */
    String env(String name);

    /** A warning for the user, printed when the command line is accepted. */
    void warn(String warning);

    /** One -p spec, as the port drivers parse it. */
    record PublishedPort(String spec, String proto, String parentIP, int parentPort, int childPort) {
    }
}
