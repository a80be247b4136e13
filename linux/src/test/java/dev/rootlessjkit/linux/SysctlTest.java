package dev.rootlessjkit.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SysctlTest {
    @Test
    void readsWholeMultiDigitValues() throws Exception {
        // pid_max is at least 301 on every kernel: a truncated read would leave a single digit.
        final String value = Sysctl.read(Path.of("/proc/sys/kernel/pid_max"));
        assertTrue(value.length() >= 3 && Integer.parseInt(value) >= 301, value);
    }
}
