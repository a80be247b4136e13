package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.BoundedHelper;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the child's uid_map and gid_map: root in the namespace is the caller, ids from 1 up are the caller's
 * subordinate ids, through the setuid helpers newuidmap/newgidmap. The single-id mapping (only the caller)
 * needs no helper: the owner of a user namespace may write that one line itself.
 */
public final class IdMapper {
    /** newuidmap reads /etc/subuid (or asks NSS, possibly over the network) and writes one file: seconds at most. */
    private static final Duration HELPER_TIMEOUT = Duration.ofSeconds(30);

    private final Linux linux;
    private final int uid;
    private final int gid;
    private final Duration helperTimeout;

    public IdMapper(Linux linux, int uid, int gid) {
        this(linux, uid, gid, HELPER_TIMEOUT);
    }

    IdMapper(Linux linux, int uid, int gid, Duration helperTimeout) {
        this.linux = linux;
        this.uid = uid;
        this.gid = gid;
        this.helperTimeout = helperTimeout;
    }

    /** The triples newuidmap takes: {@code 0 UID 1}, then each range stacked from 1 up. */
    static List<String> mapping(int ownId, List<SubIdRange> ranges) {
        final List<String> args = new ArrayList<>(List.of("0", Integer.toString(ownId), "1"));
        long next = 1;
        for (SubIdRange range : ranges) {
            args.add(Long.toString(next));
            args.add(Long.toString(range.start()));
            args.add(Long.toString(range.count()));
            next += range.count();
        }
        return args;
    }

    /**
     * Runs newuidmap and newgidmap side by side: they write different files, and each is a setuid exec that the
     * child, waiting for its maps, would otherwise wait for twice. Both are started before either is awaited, so
     * this thread alone does it; a failure of newuidmap is the one reported when both fail.
     */
    public void mapWithHelpers(long pid, Path newuidmap, Path newgidmap, SubIdSource.Ranges ranges)
            throws ParentException {
        final BoundedHelper uidHelper = start(command(newuidmap, pid, mapping(uid, ranges.uids())));
        final BoundedHelper gidHelper;
        try {
            gidHelper = start(command(newgidmap, pid, mapping(gid, ranges.gids())));
        } catch (ParentException e) {
            // newuidmap is reaped before the error goes up; how it ended no longer matters.
            try {
                uidHelper.await();
            } catch (ErrnoException ignored) {
                // The start has failed either way, for the reason being reported.
            }
            throw e;
        }
        final BoundedHelper.Outcome uidOutcome = await(uidHelper);
        final BoundedHelper.Outcome gidOutcome = await(gidHelper);
        check(uidOutcome);
        check(gidOutcome);
    }

    private static List<String> command(Path helper, long pid, List<String> mapping) {
        final List<String> command = new ArrayList<>();
        command.add(helper.toString());
        command.add(Long.toString(pid));
        command.addAll(mapping);
        return command;
    }

    private BoundedHelper start(List<String> command) throws ParentException {
        try {
            return BoundedHelper.start(linux, command.get(0), command, helperTimeout);
        } catch (ErrnoException e) {
            throw new ParentException("failed to setup UID/GID map: cannot run " + command.get(0) + ": "
                    + e.getMessage(), e);
        }
    }

    private static BoundedHelper.Outcome await(BoundedHelper helper) throws ParentException {
        try {
            return helper.await();
        } catch (ErrnoException e) {
            throw new ParentException("failed to setup UID/GID map: " + e.getMessage(), e);
        }
    }

    private void check(BoundedHelper.Outcome outcome) throws ParentException {
        if (outcome.timedOut()) {
            throw new ParentException("failed to setup UID/GID map: " + outcome.describeTimeout(helperTimeout));
        }
        if (!outcome.succeeded()) {
            throw new ParentException("failed to setup UID/GID map: " + String.join(" ", outcome.command())
                    + " failed: " + outcome.output().strip().replace('\n', ' ') + ": " + outcome.status().describe());
        }
    }

    /** Maps root in the namespace to the caller alone; setgroups must be denied before an unprivileged gid_map. */
    public void mapSingleId(long pid) throws ParentException {
        final Path proc = Path.of("/proc", Long.toString(pid));
        try {
            Files.writeString(proc.resolve("uid_map"), "0 " + uid + " 1\n");
            Files.writeString(proc.resolve("setgroups"), "deny\n");
            Files.writeString(proc.resolve("gid_map"), "0 " + gid + " 1\n");
        } catch (IOException e) {
            throw new ParentException("failed to write the single-id mapping of process " + pid + ": "
                    + e.getMessage(), e);
        }
    }
}
