package dev.rootlessjkit.port;

import java.util.Collection;

/**
 * RootlessKit's {@code ValidatePortSpec}, in its order and words, except that ports are printed as numbers
 * ({@code invalid ParentPort: 0}) where RootlessKit formats the int as a rune literal ({@code '\x00'}).
 */
public final class PortSpecValidator {
    private PortSpecValidator() {
    }

    /**
     * @param existing ports already published; a spec with the same proto, parent IP text and parent port conflicts
     *                 (other overlaps, such as tcp4 and tcp6 on one port, are left for bind(2) to judge)
     */
    public static void validate(PortSpec spec, Collection<PortStatus> existing) throws PortDriverException {
        if (Proto.of(spec.proto()).isEmpty()) {
            throw new InvalidPortSpecException("unknown proto: " + GoText.quote(spec.proto()));
        }
        if (!spec.parentIP().isEmpty() && !IpLiteral.isValid(spec.parentIP())) {
            throw new InvalidPortSpecException("invalid ParentIP: " + GoText.quote(spec.parentIP()));
        }
        if (!spec.childIP().isEmpty() && !IpLiteral.isValid(spec.childIP())) {
            throw new InvalidPortSpecException("invalid ChildIP: " + GoText.quote(spec.childIP()));
        }
        if (spec.parentPort() <= 0 || spec.parentPort() > 65535) {
            throw new InvalidPortSpecException("invalid ParentPort: " + spec.parentPort());
        }
        if (spec.childPort() <= 0 || spec.childPort() > 65535) {
            throw new InvalidPortSpecException("invalid ChildPort: " + spec.childPort());
        }
        for (PortStatus p : existing) {
            final PortSpec s = p.spec();
            if (s.proto().equals(spec.proto()) && s.parentIP().equals(spec.parentIP())
                    && s.parentPort() == spec.parentPort()) {
                throw new PortConflictException(p.id());
            }
        }
    }
}
