package dev.rootlessjkit.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class IdMapperTest {
    @Test
    void rootIsTheCallerAndRangesStackFromOne() {
        assertEquals(List.of("0", "1001", "1", "1", "100000", "65536", "65537", "200000", "65536"),
                IdMapper.mapping(1001, List.of(new SubIdRange(100000, 65536), new SubIdRange(200000, 65536))));
    }
}
