package dev.rootlessjkit.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.Test;

class ErrnoTest {
    /** The direct lookup gives what jnr-constants' own resolution gives on this machine, for every value we use. */
    @Test
    void everyValueIsTheOneJnrConstantsResolvesForThisMachine() throws IllegalAccessException {
        int checked = 0;
        for (Field field : Errno.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == int.class) {
                final int resolved = jnr.constants.platform.Errno.valueOf(field.getName()).intValue();
                assertEquals(resolved, field.getInt(null), field.getName());
                checked++;
            }
        }
        assertTrue(checked >= 25, "only " + checked + " errno values");
    }

    /** Values every Linux architecture shares, against a table that came out wrong altogether. */
    @Test
    void linuxNumbersAreLinuxs() {
        assertEquals(4, Errno.EINTR);
        assertEquals(11, Errno.EAGAIN);
        assertEquals(Errno.EAGAIN, Errno.EWOULDBLOCK);
        assertEquals(32, Errno.EPIPE);
    }
}
