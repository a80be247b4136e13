package dev.rootlessjkit.port;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code [PARENTIP:]PARENTPORT:[CHILDIP:]CHILDPORT/PROTO}, IPv6 addresses in brackets. Accepts every spec
 * RootlessKit's {@code ParsePortSpec} accepts (whitespace around parts included) and, in addition, Docker's short
 * {@code 8080:80/tcp} and {@code 8080:10.0.2.100:80/tcp}. Unlike RootlessKit it rejects five-part specs instead of
 * gluing ports together, does not let a bracket swallow the next part, and names the right part in errors.
 * Only the syntax is checked here; ranges and conflicts are {@link PortSpecValidator}'s job.
 */
public final class PortSpecParser {
    private PortSpecParser() {
    }

    private record Part(String text, boolean bracketed) {
    }

    public static PortSpec parse(String spec) throws InvalidPortSpecException {
        final String q = GoText.quote(spec);
        final int slash = spec.lastIndexOf('/');
        if (slash < 0) {
            throw new InvalidPortSpecException("missing proto in PortSpec string: " + q);
        }
        final String proto = spec.substring(slash + 1);
        if (Proto.of(proto).isEmpty()) {
            throw new InvalidPortSpecException(
                    "invalid PortSpec string: " + q + ": unknown proto: " + GoText.quote(proto));
        }
        final String rest = spec.substring(0, slash);
        if (rest.indexOf(':') < 0) {
            throw new InvalidPortSpecException("unexpected PortSpec string: " + q);
        }
        final List<Part> parts = split(rest, q);
        final Part parentIP;
        final Part parentPort;
        final Part childIP;
        final Part childPort = parts.get(parts.size() - 1);
        switch (parts.size()) {
            case 2 -> {
                parentIP = null;
                parentPort = parts.get(0);
                childIP = null;
            }
            case 3 -> {
                // An IP is never all digits and a port never anything else, so the middle part tells them apart.
                final boolean startsWithPort = !parts.get(0).bracketed() && looksLikePort(parts.get(0).text());
                parentIP = startsWithPort ? null : parts.get(0);
                parentPort = startsWithPort ? parts.get(0) : parts.get(1);
                childIP = startsWithPort ? parts.get(1) : null;
            }
            case 4 -> {
                parentIP = parts.get(0);
                parentPort = parts.get(1);
                childIP = parts.get(2);
            }
            default -> throw new InvalidPortSpecException("unexpected PortSpec string: " + q
                    + (rest.indexOf('[') < 0 && rest.contains("::") ? " (IPv6 addresses must be in brackets)" : ""));
        }
        final String pip = ip(parentIP, "ParentIP", q);
        final String cip = ip(childIP, "ChildIP", q);
        return new PortSpec(proto, pip, port(parentPort, "ParentPort", q), cip, port(childPort, "ChildPort", q));
    }

    private static List<Part> split(String rest, String q) throws InvalidPortSpecException {
        final List<Part> parts = new ArrayList<>();
        int i = 0;
        while (true) {
            if (i < rest.length() && rest.charAt(i) == '[') {
                final int close = rest.indexOf(']', i);
                if (close < 0 || close + 1 < rest.length() && rest.charAt(close + 1) != ':') {
                    throw new InvalidPortSpecException("unexpected PortSpec string: " + q);
                }
                parts.add(new Part(rest.substring(i + 1, close).strip(), true));
                i = close + 1;
            } else {
                int end = rest.indexOf(':', i);
                end = end < 0 ? rest.length() : end;
                final String text = rest.substring(i, end);
                if (text.indexOf('[') >= 0 || text.indexOf(']') >= 0) {
                    throw new InvalidPortSpecException("unexpected PortSpec string: " + q);
                }
                parts.add(new Part(text.strip(), false));
                i = end;
            }
            if (i >= rest.length()) {
                return parts;
            }
            i++; // the ':'
        }
    }

    private static boolean looksLikePort(String s) {
        try {
            GoText.atoi(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String ip(Part part, String label, String q) throws InvalidPortSpecException {
        if (part == null || part.text().isEmpty() && !part.bracketed()) {
            return "";
        }
        if (!IpLiteral.isValid(part.text())) {
            throw new InvalidPortSpecException("unexpected " + label + " in PortSpec string: " + q);
        }
        return part.text();
    }

    private static int port(Part part, String label, String q) throws InvalidPortSpecException {
        if (part.bracketed()) {
            throw new InvalidPortSpecException("unexpected PortSpec string: " + q);
        }
        try {
            final long v = GoText.atoi(part.text());
            if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
                throw new InvalidPortSpecException("invalid " + label + ": " + v);
            }
            return (int) v;
        } catch (NumberFormatException e) {
            throw new InvalidPortSpecException("unexpected " + label + " in PortSpec string: " + q + ": "
                    + e.getMessage());
        }
    }
}
