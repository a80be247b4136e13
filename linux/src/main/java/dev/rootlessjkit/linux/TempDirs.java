package dev.rootlessjkit.linux;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ThreadLocalRandom;

/**
 * New private directories with unpredictable names. Files.createTempDirectory does the same but seeds a
 * SecureRandom first, ~17 ms of a cold JVM on every start; mkdir's atomicity, not the strength of the random
 * name, is what makes this safe (an existing name, planted or not, is never reused).
 */
public final class TempDirs {
    private static final int ATTEMPTS = 100;

    private TempDirs() {
    }

    /** Creates {@code parent/prefixNNNN} with mode 0700. */
    public static Path create(Path parent, String prefix) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            final Path dir = parent.resolve(prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong()));
            try {
                return Files.createDirectory(dir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                continue;
            }
        }
        throw new IOException("no free name for a directory " + prefix + "* in " + parent);
    }
}
