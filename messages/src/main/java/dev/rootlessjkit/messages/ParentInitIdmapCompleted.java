package dev.rootlessjkit.messages;

/** Parent → child: uid_map and gid_map are written, so the child is uid 0 and may mount. */
public record ParentInitIdmapCompleted() implements Message {
}
