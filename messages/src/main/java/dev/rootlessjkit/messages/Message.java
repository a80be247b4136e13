package dev.rootlessjkit.messages;

/**
 * One frame of the parent/child handshake. The JSON form is flat, with the record name in {@code Name},
 * as RootlessKit's own messages are, so a captured exchange reads the same.
 */
public sealed interface Message permits ParentHello, ChildHello, ParentInitIdmapCompleted, ChildInitUserNSCompleted,
        ParentInitNetworkDriverCompleted, ParentInitPortDriverCompleted, ParentInitCompleted,
        Goodbye {
}
