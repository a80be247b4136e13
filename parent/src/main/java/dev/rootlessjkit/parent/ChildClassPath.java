package dev.rootlessjkit.parent;

import java.io.File;
import java.util.List;
import java.util.StringJoiner;

/**
 * The child JVM's class path: the jars of the child module and its dependencies, picked from the parent's.
 * Fewer jars to open make a faster start, and the child must never load Netty (DESIGN.md §3): the drivers' child
 * halves share their jars with the parent halves, but Netty's own jars stay out, so a child half that touched
 * Netty would fail at once instead of slowly pulling it in.
 */
final class ChildClassPath {
    /**
     * Jar name prefixes of what the child runs: its module, the modules it uses, jffi and jnr-constants. Not
     * Jackson: the handshake's JSON is read and written without it.
     */
    private static final List<String> CHILD_JARS = List.of("rootlessjkit-child-", "rootlessjkit-log-",
            "rootlessjkit-messages-", "rootlessjkit-linux-", "rootlessjkit-net-api-", "rootlessjkit-net-drivers-",
            "rootlessjkit-port-drivers-", "jnr-constants-", "jffi-");

    private ChildClassPath() {
    }

    /** The entries of {@code parentClassPath} (as in java.class.path) that the child needs, in the same order. */
    static String select(String parentClassPath) {
        final StringJoiner path = new StringJoiner(File.pathSeparator);
        for (String entry : parentClassPath.split(File.pathSeparator)) {
            final String name = entry.substring(entry.lastIndexOf(File.separatorChar) + 1);
            if (name.endsWith(".jar") && isChildJar(name)) {
                path.add(entry);
            }
        }
        return path.toString();
    }

    // A loop, not a stream: this runs before the spawn, where a cold JVM's first lambda costs milliseconds.
    private static boolean isChildJar(String name) {
        for (String prefix : CHILD_JARS) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
