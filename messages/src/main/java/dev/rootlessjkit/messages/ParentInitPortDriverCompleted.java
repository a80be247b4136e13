package dev.rootlessjkit.messages;

import java.util.Map;

/** Parent → child: the port driver's parent half is running; {@code opaque} is what its child half needs. */
public record ParentInitPortDriverCompleted(Map<String, String> opaque)
        implements Message {
    public ParentInitPortDriverCompleted {
        opaque = opaque == null ? Map.of() : Map.copyOf(opaque);
    }
}
