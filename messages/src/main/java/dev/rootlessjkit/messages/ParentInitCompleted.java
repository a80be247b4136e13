package dev.rootlessjkit.messages;

/**
 * Parent → child, last of the handshake: the -p ports are published, child_pid is written and the API answers,
 * so CMD (dockerd, for one, talks to api.sock as it starts) finds everything in place.
 */
public record ParentInitCompleted() implements Message {
}
