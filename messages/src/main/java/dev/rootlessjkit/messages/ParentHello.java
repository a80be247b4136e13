package dev.rootlessjkit.messages;

/** Parent → child, written right after the spawn: everything the child needs to know about this run. */
public record ParentHello(ChildConfig config) implements Message {
}
