package dev.rootlessjkit.parent.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Where distributions install lxc-user-nic, as RootlessKit looks for it to default --lxc-user-nic-binary. */
final class LxcUserNic {
    private LxcUserNic() {
    }

    static List<String> candidates() {
        return List.of(
                "/usr/libexec/lxc/lxc-user-nic",
                "/usr/lib/" + unameMachine() + "-linux-gnu/lxc/lxc-user-nic",
                "/usr/lib/lxc/lxc-user-nic");
    }

    /** The first candidate that exists, or "" (RootlessKit's default then). */
    static String defaultBinary() {
        return candidates().stream().filter(p -> Files.exists(Path.of(p))).findFirst().orElse("");
    }

    /** uname -m as Debian's multiarch directories spell it; Java says amd64 where the kernel says x86_64. */
    private static String unameMachine() {
        final String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return arch.equals("amd64") ? "x86_64" : arch;
    }
}
