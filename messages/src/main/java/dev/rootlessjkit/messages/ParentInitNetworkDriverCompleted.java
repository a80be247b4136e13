package dev.rootlessjkit.messages;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Parent → child: the network driver's parent half is running; the child configures its side from this. */
public record ParentInitNetworkDriverCompleted(@JsonProperty("Network") NetworkConfig network)
        implements Message {
}
