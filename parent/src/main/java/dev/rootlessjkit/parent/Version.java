package dev.rootlessjkit.parent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The version of rootlessjkit. Its one source is the Maven project version, which the build writes into
 * {@code version.txt} (a filtered resource), so releases never need a second edit here.
 *
 * @param text  the full version, e.g. {@code 0.1.0} or {@code 0.2.0-SNAPSHOT}
 * @param major first semantic-version component
 * @param minor second component
 * @param patch third component
 */
public record Version(String text, int major, int minor, int patch) {

    private static final Pattern SEMVER = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)([-+].*)?");

    /** The version of this build. */
    public static Version current() {
        return Holder.CURRENT;
    }

    /** Parses {@code MAJOR.MINOR.PATCH} with an optional pre-release or build suffix. */
    static Version parse(String text) {
        Matcher m = SEMVER.matcher(text);
        if (!m.matches()) {
            throw new IllegalStateException("build version is not a semantic version: \"" + text + "\"");
        }
        return new Version(text, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)));
    }

    // Loaded on first use only: most runs never print the version.
    private static final class Holder {
        static final Version CURRENT = parse(read());

        private static String read() {
            try (InputStream in = Version.class.getResourceAsStream("version.txt")) {
                if (in == null) {
                    throw new IllegalStateException("version.txt is missing from the parent jar");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read version.txt", e);
            }
        }
    }
}
