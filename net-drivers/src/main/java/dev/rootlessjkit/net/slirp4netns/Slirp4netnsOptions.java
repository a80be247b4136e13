package dev.rootlessjkit.net.slirp4netns;

import dev.rootlessjkit.net.DriverFlags;
import dev.rootlessjkit.net.DriverOptions;
import dev.rootlessjkit.net.InvalidOptionsException;

/**
 * slirp4netns's own flags.
 *
 * @param binary    --slirp4netns-binary, never empty
 * @param sandbox   --slirp4netns-sandbox; auto is resolved once slirp4netns's features are known
 * @param seccomp   --slirp4netns-seccomp, as the sandbox
 * @param apiSocket --port-driver=slirp4netns: slirp4netns opens its API socket for that port driver, its one client
 */
public record Slirp4netnsOptions(String binary, Mode sandbox, Mode seccomp, boolean apiSocket)
        implements DriverOptions {
    private static final String PROGRAM = "slirp4netns";
    /** The --port-driver that talks to slirp4netns's API socket. */
    private static final String API_PORT_DRIVER = "slirp4netns";

    /** A value of --slirp4netns-sandbox or --slirp4netns-seccomp. */
    public enum Mode {
        AUTO, TRUE, FALSE
    }

    /** The flags, checked: a mode must be one slirp4netns knows, and the sandbox needs a namespace to join. */
    public static Slirp4netnsOptions of(DriverFlags flags) throws InvalidOptionsException {
        final Mode sandbox = mode(flags, "slirp4netns-sandbox");
        final Mode seccomp = mode(flags, "slirp4netns-seccomp");
        if (flags.runs() && sandbox == Mode.TRUE && flags.bool("detach-netns")) {
            // Known not to work together: rootless-containers/slirp4netns#317.
            throw new InvalidOptionsException("--slirp4netns-sandbox conflicts with --detach-netns");
        }
        final String binary = flags.value("slirp4netns-binary");
        return new Slirp4netnsOptions(binary.isEmpty() ? PROGRAM : binary, sandbox, seccomp,
                API_PORT_DRIVER.equals(flags.portDriver()));
    }

    /** RootlessKit reads an empty mode as false. */
    private static Mode mode(DriverFlags flags, String flag) throws InvalidOptionsException {
        final String mode = flags.value(flag);
        return switch (mode) {
            case "auto" -> Mode.AUTO;
            case "true" -> Mode.TRUE;
            case "false", "" -> Mode.FALSE;
            default -> throw new InvalidOptionsException("unsupported " + flag + " mode: \"" + mode + "\"");
        };
    }
}
