package dev.rootlessjkit.parent;

import dev.rootlessjkit.net.NetworkOptions;
import dev.rootlessjkit.port.PortDriverOptions;
import java.nio.file.Path;
import java.util.List;

/**
 * A validated command line. Every cross-flag rule has been checked by the CLI before one of these exists; the
 * drivers' options are the CLI's records, passed on to the drivers as they are.
 *
 * @param stateDir      absolute --state-dir, or null for a temporary one removed on exit
 * @param network       the network driver and its flags
 * @param copyUpDirs    absolute, normalised, never /tmp
 * @param ports         the port driver and its flags
 * @param publish       raw -p specs, parsed by the port driver issue's parser
 * @param reaper        --reaper resolved: auto means the value of --pidns
 * @param evacuateCgroup2 group name or null
 * @param command       CMD and its arguments, never empty
 */
public record ParentConfig(
        Path stateDir,
        NetworkOptions network,
        List<String> copyUpDirs,
        Propagation propagation,
        PortDriverOptions ports,
        List<String> publish,
        boolean pidns,
        boolean cgroupns,
        boolean utsns,
        boolean ipcns,
        boolean reaper,
        String evacuateCgroup2,
        SubidSource subidSource,
        boolean singleIdMapping,
        boolean debug,
        List<String> command) {

    public ParentConfig {
        copyUpDirs = List.copyOf(copyUpDirs);
        publish = List.copyOf(publish);
        command = List.copyOf(command);
    }

    /** --propagation values, the mount(2) flags applied to "/" in the child. */
    public enum Propagation {
        PRIVATE("private"), RPRIVATE("rprivate"), SHARED("shared"), RSHARED("rshared"), SLAVE("slave"),
        RSLAVE("rslave");

        public final String cliName;

        Propagation(String cliName) {
            this.cliName = cliName;
        }
    }

    /** --subid-source values. */
    public enum SubidSource {
        AUTO("auto"), DYNAMIC("dynamic"), STATIC("static");

        public final String cliName;

        SubidSource(String cliName) {
            this.cliName = cliName;
        }
    }
}
