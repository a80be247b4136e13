package dev.rootlessjkit.port;

/** A published port and the ID the driver gave it (IDs are never reused). */
public record PortStatus(int id, PortSpec spec) {
}
