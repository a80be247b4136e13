package dev.rootlessjkit.messages;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One frame of the parent/child handshake. The JSON form is flat, with the record name in {@code Name},
 * as RootlessKit's own messages are, so a captured exchange reads the same.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.SIMPLE_NAME, property = "Name")
@JsonSubTypes({
    @JsonSubTypes.Type(ParentHello.class),
    @JsonSubTypes.Type(ChildHello.class),
    @JsonSubTypes.Type(ParentInitIdmapCompleted.class),
    @JsonSubTypes.Type(ChildInitUserNSCompleted.class),
    @JsonSubTypes.Type(ParentInitNetworkDriverCompleted.class),
    @JsonSubTypes.Type(ParentInitPortDriverCompleted.class),
    @JsonSubTypes.Type(ParentInitCompleted.class),
    @JsonSubTypes.Type(Goodbye.class),
})
public sealed interface Message permits ParentHello, ChildHello, ParentInitIdmapCompleted, ChildInitUserNSCompleted,
        ParentInitNetworkDriverCompleted, ParentInitPortDriverCompleted, ParentInitCompleted,
        Goodbye {
}
