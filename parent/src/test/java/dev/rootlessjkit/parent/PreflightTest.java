package dev.rootlessjkit.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.parent.ParentConfig.Propagation;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PreflightTest {

    private static final String PRIVATE_ROOT = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw";
    private static final String SHARED_ROOT = "24 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw";
    private static final String SLAVE_ROOT = "24 1 8:1 / / rw,relatime master:7 - ext4 /dev/sda1 rw";
    private static final String OTHER = "30 27 0:25 / /proc rw,nosuid shared:12 - proc proc rw";

    @Test
    void rslaveOnAPrivateRootWarnsAsRootlessKitDoes() {
        assertEquals(Optional.of("The host root filesystem is mounted as \"\". Setting child propagation to "
                        + "\"rslave\" is not supported."),
                Preflight.propagationWarning(Propagation.RSLAVE, List.of(PRIVATE_ROOT, OTHER)));
    }

    @Test
    void theOptionalFieldsOfRootAreQuoted() {
        assertEquals(Optional.of("The host root filesystem is mounted as \"master:7\". Setting child propagation "
                        + "to \"shared\" is not supported."),
                Preflight.propagationWarning(Propagation.SHARED, List.of(OTHER, SLAVE_ROOT)));
    }

    @Test
    void noWarningOnASharedRootOrForPrivatePropagation() {
        assertEquals(Optional.empty(), Preflight.propagationWarning(Propagation.RSLAVE, List.of(SHARED_ROOT)));
        assertEquals(Optional.empty(), Preflight.propagationWarning(Propagation.RPRIVATE, List.of(PRIVATE_ROOT)));
        assertEquals(Optional.empty(), Preflight.propagationWarning(Propagation.PRIVATE, List.of(PRIVATE_ROOT)));
    }
}
