package dev.rootlessjkit.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A host account the launcher runs as, with the sub-id ranges the host grants it. The ranges are read from the
 * files, never hard-coded, so the expected id maps follow whatever the machine is configured with.
 */
record TestUser(String name, int uid, int gid, List<SubIdRange> subUids, List<SubIdRange> subGids) {

    static final Path SUBUID = Path.of("/etc/subuid");
    static final Path SUBGID = Path.of("/etc/subgid");

    /** The account with sub-ids: the invoking user, or when the suite runs as root, $ROOTLESSJKIT_TEST_USER. */
    static TestUser primary() {
        final String name = Host.isRoot() ? envOr("ROOTLESSJKIT_TEST_USER", "rjtest") : Host.currentUserName();
        final TestUser user = lookup(name);
        if (user.uid() == 0) {
            throw new IllegalStateException("the test user must not be root; set ROOTLESSJKIT_TEST_USER to an "
                    + "unprivileged account (hack/ci-setup.sh creates rjtest)");
        }
        if (user.subUids().isEmpty() || user.subGids().isEmpty()) {
            throw new IllegalStateException("test user " + name + " has no entry in " + SUBUID + " or " + SUBGID
                    + "; run `sudo hack/ci-setup.sh` or add ranges with usermod --add-subuids/--add-subgids");
        }
        return user;
    }

    /** An account that deliberately has no sub-ids, to check the launcher's error for that case. */
    static TestUser withoutSubIds() {
        final TestUser user = lookup(envOr("ROOTLESSJKIT_TEST_NOSUB_USER", "rjnosub"));
        if (!user.subUids().isEmpty() || !user.subGids().isEmpty()) {
            throw new IllegalStateException("user " + user.name() + " must have no entry in " + SUBUID + " and "
                    + SUBGID + " for this test; hack/ci-setup.sh removes them");
        }
        return user;
    }

    static TestUser lookup(String name) {
        final Result entry = Exec.run(List.of("getent", "passwd", name), java.time.Duration.ofSeconds(10));
        if (entry.exitCode() != 0 || entry.stdout().isBlank()) {
            throw new IllegalStateException("user " + name + " does not exist; run `sudo hack/ci-setup.sh` "
                    + "(it creates the test users) or set ROOTLESSJKIT_TEST_USER");
        }
        final String[] fields = entry.stdout().strip().split(":");
        final int uid = Integer.parseInt(fields[2]);
        final int gid = Integer.parseInt(fields[3]);
        return new TestUser(fields[0], uid, gid, ranges(SUBUID, fields[0], uid), ranges(SUBGID, fields[0], uid));
    }

    /** The expected /proc/PID/uid_map or gid_map lines, as RootlessKit writes them: own id first, then sub-ids. */
    static List<String> expectedMap(int ownId, List<SubIdRange> ranges) {
        final List<String> lines = new ArrayList<>();
        lines.add("0 " + ownId + " 1");
        long inside = 1;
        for (final SubIdRange range : ranges) {
            lines.add(inside + " " + range.start() + " " + range.count());
            inside += range.count();
        }
        return lines;
    }

    /** Lines of a subid file naming the user by name or by uid, in file order (as shadow's tools read them). */
    private static List<SubIdRange> ranges(Path file, String name, int uid) {
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            final List<SubIdRange> ranges = new ArrayList<>();
            for (final String line : Files.readAllLines(file)) {
                final String[] fields = line.strip().split(":");
                if (fields.length == 3 && (fields[0].equals(name) || fields[0].equals(Integer.toString(uid)))) {
                    ranges.add(new SubIdRange(Long.parseLong(fields[1]), Long.parseLong(fields[2])));
                }
            }
            return List.copyOf(ranges);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String envOr(String name, String fallback) {
        final String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
