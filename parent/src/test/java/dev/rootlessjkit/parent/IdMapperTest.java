package dev.rootlessjkit.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class IdMapperTest {
    @Test
    void rootIsTheCallerAndRangesStackFromOne() {
        assertEquals(List.of("0", "1001", "1", "1", "100000", "65536", "65537", "200000", "65536"),
                IdMapper.mapping(1001, List.of(new SubIdRange(100000, 65536), new SubIdRange(200000, 65536))));
    }

    /**
     * A helper that hangs with its output held open (here by a child of its own) is killed at the deadline, and the
     * error names it: reading its output to the end first would wait as long as it hangs.
     */
    @Test
    @Timeout(30)
    void aHungHelperIsKilledAtTheDeadlineAndNamed(@TempDir Path dir) throws Exception {
        final Path pidFile = dir.resolve("sleeper.pid");
        final Path helper = HungHelper.write(dir.resolve("newuidmap"), pidFile);
        final IdMapper mapper = new IdMapper(1000, 1000, Duration.ofSeconds(1));
        final ParentException e = assertThrows(ParentException.class, () -> mapper.mapWithHelpers(12345, helper,
                helper, new SubIdSource.Ranges(List.of(new SubIdRange(100000, 65536)), List.of())));
        assertTrue(e.getMessage().startsWith("failed to setup UID/GID map: " + helper + " (pid "), e.getMessage());
        assertTrue(e.getMessage().contains(" did not finish within 1 s and was killed: " + helper + " 12345 0 1000 1"),
                e.getMessage());
        HungHelper.assertSleeperGone(pidFile);
    }
}
