package dev.rootlessjkit.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChildClassPathTest {

    /** The jar directory as the build lays it out (parent/target/dist), in the launcher's order. */
    private static final List<String> DIST = List.of("jackson-annotations-2.22.jar",
            "jackson-core-2.22.1.jar", "jackson-databind-2.22.1.jar", "jffi-1.3.13-native.jar", "jffi-1.3.13.jar",
            "jnr-constants-0.10.4.jar", "netty-buffer-4.1.137.Final.jar",
            "netty-common-4.1.137.Final.jar", "netty-transport-4.1.137.Final.jar",
            "netty-transport-native-epoll-4.1.137.Final-linux-x86_64.jar", "rootlessjkit-child-0.1.0.jar",
            "rootlessjkit-linux-0.1.0.jar", "rootlessjkit-log-0.1.0.jar", "rootlessjkit-messages-0.1.0.jar",
            "rootlessjkit-net-api-0.1.0.jar", "rootlessjkit-net-drivers-0.1.0.jar",
            "rootlessjkit-parent-0.1.0.jar", "rootlessjkit-port-drivers-0.1.0.jar");

    @Test
    void theChildGetsItsModulesAndJffiButNeitherJacksonNorNettyNorTheParent() {
        final String parent = String.join(File.pathSeparator, DIST.stream().map(jar -> "/opt/rj/lib/" + jar).toList());
        assertEquals(List.of("jffi-1.3.13-native.jar", "jffi-1.3.13.jar", "jnr-constants-0.10.4.jar",
                        "rootlessjkit-child-0.1.0.jar", "rootlessjkit-linux-0.1.0.jar",
                        "rootlessjkit-log-0.1.0.jar", "rootlessjkit-messages-0.1.0.jar",
                        "rootlessjkit-net-api-0.1.0.jar", "rootlessjkit-net-drivers-0.1.0.jar",
                        "rootlessjkit-port-drivers-0.1.0.jar"),
                List.of(ChildClassPath.select(parent).split(File.pathSeparator)).stream()
                        .map(entry -> entry.substring("/opt/rj/lib/".length())).toList());
    }

    @Test
    void directoriesAndOtherJarsStayOut() {
        assertEquals("/m2/jnr-constants-0.10.4.jar", ChildClassPath.select(String.join(File.pathSeparator,
                "/work/child/target/classes", "/m2/netty-handler-4.1.137.Final.jar", "/m2/jnr-constants-0.10.4.jar",
                "/m2/jnr-ffi-2.2.17.jar")));
    }
}
