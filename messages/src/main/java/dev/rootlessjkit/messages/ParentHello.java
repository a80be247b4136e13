package dev.rootlessjkit.messages;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Parent → child, written right after the spawn: everything the child needs to know about this run. */
public record ParentHello(@JsonProperty("Config") ChildConfig config) implements Message {
}
