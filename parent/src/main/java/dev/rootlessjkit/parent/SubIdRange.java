package dev.rootlessjkit.parent;

/** One line of /etc/subuid or /etc/subgid (or of getsubids' output): {@code count} ids from {@code start}. */
public record SubIdRange(long start, long count) {
}
