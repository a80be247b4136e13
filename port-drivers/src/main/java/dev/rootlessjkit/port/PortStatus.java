package dev.rootlessjkit.port;

/** A published port and the ID the driver gave it (IDs are never reused). */
public record PortStatus(int id, PortSpec spec) {
    /** For debug lines: {@code port 1 (127.0.0.1:8080:80/tcp)}. */
    @Override
    public String toString() {
        return "port " + id + " (" + spec + ")";
    }
}
