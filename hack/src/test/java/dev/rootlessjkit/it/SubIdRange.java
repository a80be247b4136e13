package dev.rootlessjkit.it;

/** One line of /etc/subuid or /etc/subgid belonging to a user: {@code count} ids from {@code start}. */
record SubIdRange(long start, long count) {
}
