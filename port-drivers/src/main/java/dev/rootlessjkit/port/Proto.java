package dev.rootlessjkit.port;

import java.util.List;
import java.util.Optional;

/** The protocol names RootlessKit's port specs accept, case-sensitively. */
public enum Proto {
    TCP("tcp"), TCP4("tcp4"), TCP6("tcp6"), UDP("udp"), UDP4("udp4"), UDP6("udp6"),
    SCTP("sctp"), SCTP4("sctp4"), SCTP6("sctp6");

    /** Which address family a listener uses. */
    public enum Family { ANY, V4, V6 }

    /**
     * The TCP and UDP names, every family: what the drivers that listen on the host (builtin, usernet) forward. Here
     * rather than on a driver, so that binding the -p sockets before the child is spawned loads no driver class.
     */
    public static final List<String> TCP_AND_UDP = List.of(TCP.text, TCP4.text, TCP6.text, UDP.text, UDP4.text,
            UDP6.text);

    public final String text;

    Proto(String text) {
        this.text = text;
    }

    public static Optional<Proto> of(String text) {
        for (Proto p : values()) {
            if (p.text.equals(text)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    public boolean isTcp() {
        return this == TCP || this == TCP4 || this == TCP6;
    }

    public boolean isUdp() {
        return this == UDP || this == UDP4 || this == UDP6;
    }

    public Family family() {
        return text.endsWith("4") ? Family.V4 : text.endsWith("6") ? Family.V6 : Family.ANY;
    }
}
