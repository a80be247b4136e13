package dev.rootlessjkit.linux;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads /proc/sys values. They must be read with one large enough read: a sysctl file answers a read at a
 * non-zero offset with end-of-file, so Files.readString (which begins with a one-byte read for a file whose
 * size is 0) sees "9" for "96365" and "1" for "1024".
 */
public final class Sysctl {
    private static final int MAX_VALUE = 4096;

    private Sysctl() {
    }

    /** The value without its trailing newline. */
    public static String read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            final byte[] buf = new byte[MAX_VALUE];
            final int n = in.read(buf);
            return new String(buf, 0, Math.max(n, 0), StandardCharsets.US_ASCII).strip();
        }
    }
}
