package dev.rootlessjkit.messages;

/** Child → parent: /proc, the detached netns and anything else the network driver needs from the child are ready. */
public record ChildInitUserNSCompleted() implements Message {
}
