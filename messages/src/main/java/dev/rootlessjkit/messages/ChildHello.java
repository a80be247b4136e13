package dev.rootlessjkit.messages;

/**
 * Child → parent: the child JVM is up inside its namespaces. {@code hostPid} is its PID as the host sees it
 * (with {@code --pidns} the parent only knows the PID of the {@code unshare} process in between).
 */
public record ChildHello(long hostPid) implements Message {
}
