package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.BoundedHelper;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.ProgramPath;
import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Where the user's subordinate ids come from: shadow's {@code getsubids} (which also knows NSS sources such as
 * SSSD), or /etc/subuid and /etc/subgid read directly. {@code auto} tries the first and falls back to the second.
 */
public final class SubIdSource {
    /** getsubids answers from files or NSS (SSSD) in well under a second; a hung lookup must not hold the start. */
    private static final Duration GETSUBIDS_TIMEOUT = Duration.ofSeconds(10);

    private final Linux linux;
    private final ParentConfig.SubidSource mode;
    private final Path subuid;
    private final Path subgid;
    private final Log log;
    private final String getsubids;
    private final Duration timeout;

    /** Both kinds of range for one user. */
    public record Ranges(List<SubIdRange> uids, List<SubIdRange> gids) {
    }

    public SubIdSource(Linux linux, ParentConfig.SubidSource mode, Path subuid, Path subgid, Log log) {
        this(linux, mode, subuid, subgid, log, System.getenv().getOrDefault("GETSUBIDS", "getsubids"),
                GETSUBIDS_TIMEOUT);
    }

    SubIdSource(Linux linux, ParentConfig.SubidSource mode, Path subuid, Path subgid, Log log, String getsubids,
            Duration timeout) {
        this.linux = linux;
        this.mode = mode;
        this.subuid = subuid;
        this.subgid = subgid;
        this.log = log;
        this.getsubids = getsubids;
        this.timeout = timeout;
    }

    public Ranges lookup(String user, int uid) throws ParentException {
        switch (mode) {
            case STATIC:
                return fromFiles(user, uid);
            case DYNAMIC:
                return fromGetsubids(user, uid);
            default:
                if (!nsswitchHasSubidSource()) {
                    // getsubids would read these very files; reading them here saves four process starts.
                    return fromFiles(user, uid);
                }
                try {
                    final Ranges dynamic = fromGetsubids(user, uid);
                    if (!dynamic.uids().isEmpty() && !dynamic.gids().isEmpty()) {
                        return dynamic;
                    }
                } catch (ParentException e) {
                    log.debug("subid-source dynamic: " + e.getMessage() + "; reading " + subuid + " and " + subgid);
                }
                return fromFiles(user, uid);
        }
    }

    /** Whether /etc/nsswitch.conf names a "subid:" database (e.g. sss); without one, shadow reads the files. */
    private static boolean nsswitchHasSubidSource() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/nsswitch.conf"), StandardCharsets.UTF_8)) {
                if (line.strip().startsWith("subid:")) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private Ranges fromFiles(String user, int uid) throws ParentException {
        final List<SubIdRange> uids = parseFile(subuid, user, uid);
        final List<SubIdRange> gids = parseFile(subgid, user, uid);
        if (uids.isEmpty()) {
            throw noRanges("subuid", subuid, user, uid);
        }
        if (gids.isEmpty()) {
            throw noRanges("subgid", subgid, user, uid);
        }
        return new Ranges(uids, gids);
    }

    private static ParentException noRanges(String kind, Path file, String user, int uid) {
        return new ParentException("No " + kind + " ranges found for user " + uid + " (\"" + user + "\") in " + file
                + ": add a line such as \"" + user + ":100000:65536\" to " + file
                + " (or pass --single-id-mapping to map only your own id)");
    }

    static List<SubIdRange> parseFile(Path file, String user, int uid) throws ParentException {
        final List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new ParentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        final List<SubIdRange> ranges = new ArrayList<>();
        for (String raw : lines) {
            final String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            final String[] fields = line.split(":", -1);
            if (fields.length != 3) {
                throw new ParentException("cannot parse " + file + ": line \"" + line + "\" is not NAME:START:COUNT");
            }
            if (fields[0].equals(user) || fields[0].equals(Integer.toString(uid))) {
                ranges.add(parseRange(file.toString(), fields[1], fields[2]));
            }
        }
        return ranges;
    }

    private Ranges fromGetsubids(String user, int uid) throws ParentException {
        final List<SubIdRange> uids = getsubids(false, user, uid);
        final List<SubIdRange> gids = getsubids(true, user, uid);
        return new Ranges(uids, gids);
    }

    /** Asks getsubids by name and by number; either may fail (shadow looks names up, some NSS modules only ids). */
    private List<SubIdRange> getsubids(boolean groups, String user, int uid) throws ParentException {
        final LinkedHashSet<SubIdRange> ranges = new LinkedHashSet<>();
        String lastError = null;
        // posix_spawn does not search $PATH as ProcessBuilder did.
        final String program = ProgramPath.find(getsubids).map(Path::toString).orElseThrow(() ->
                new ParentException("subid-source dynamic: cannot run " + getsubids + ": not found in $PATH"));
        for (String who : List.of(user, Integer.toString(uid))) {
            final List<String> command = groups ? List.of(getsubids, "-g", who) : List.of(getsubids, who);
            final BoundedHelper.Outcome outcome;
            try {
                outcome = BoundedHelper.run(linux, program, command, timeout);
            } catch (ErrnoException e) {
                throw new ParentException("subid-source dynamic: cannot run " + getsubids + ": " + e.getMessage(), e);
            }
            if (outcome.timedOut()) {
                // A helper that hangs once will hang again: no second attempt by number.
                throw new ParentException("subid-source dynamic: " + outcome.describeTimeout(timeout));
            }
            if (!outcome.succeeded()) {
                lastError = String.join(" ", command) + " failed: " + outcome.output().strip();
                continue;
            }
            ranges.addAll(parseGetsubids(outcome.output()));
        }
        if (ranges.isEmpty() && lastError != null) {
            throw new ParentException("subid-source dynamic: " + lastError);
        }
        return List.copyOf(ranges);
    }

    /** Lines such as {@code 0: alice 100000 65536}. */
    static List<SubIdRange> parseGetsubids(String output) throws ParentException {
        final List<SubIdRange> ranges = new ArrayList<>();
        for (String raw : output.split("\n")) {
            final String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            final String[] fields = line.split("\\s+");
            if (fields.length != 4 || !fields[0].endsWith(":")) {
                throw new ParentException("cannot parse getsubids output: \"" + line + "\"");
            }
            ranges.add(parseRange("getsubids output", fields[2], fields[3]));
        }
        return ranges;
    }

    private static SubIdRange parseRange(String where, String start, String count) throws ParentException {
        try {
            final long s = Long.parseLong(start);
            final long c = Long.parseLong(count);
            if (s < 0 || c <= 0) {
                throw new NumberFormatException();
            }
            return new SubIdRange(s, c);
        } catch (NumberFormatException e) {
            throw new ParentException("cannot parse " + where + ": bad range " + start + ":" + count);
        }
    }
}
