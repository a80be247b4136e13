package dev.rootlessjkit.messages;

/** Parent → child: the network driver's parent half is running; the child configures its side from this. */
public record ParentInitNetworkDriverCompleted(NetworkConfig network)
        implements Message {
}
