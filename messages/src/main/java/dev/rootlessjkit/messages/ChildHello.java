package dev.rootlessjkit.messages;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Child → parent: the child JVM is up inside its namespaces. {@code hostPid} is its PID as the host sees it
 * (with {@code --pidns} the parent only knows the PID of the {@code unshare} process in between).
 */
public record ChildHello(@JsonProperty("HostPID") long hostPid) implements Message {
}
