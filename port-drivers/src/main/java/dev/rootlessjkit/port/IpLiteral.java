package dev.rootlessjkit.port;

/**
 * IP address literals as Go's {@code net.ParseIP} accepts them: dotted IPv4 without leading zeros, IPv6 with
 * {@code ::} and an optional trailing dotted quad, no zone, no host names (never a DNS lookup).
 */
public final class IpLiteral {
    private IpLiteral() {
    }

    /** The address bytes: 4 for IPv4 and IPv4-mapped IPv6, 16 for other IPv6; null when not an IP literal. */
    public static byte[] parse(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        if (s.indexOf(':') < 0) {
            return parseV4(s);
        }
        final byte[] v6 = parseV6(s);
        if (v6 != null && isV4Mapped(v6)) {
            return new byte[] {v6[12], v6[13], v6[14], v6[15]};
        }
        return v6;
    }

    public static boolean isValid(String s) {
        return parse(s) != null;
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static byte[] parseV4(String s) {
        final String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        final byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            final String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
                return null;
            }
            int v = 0;
            for (int k = 0; k < p.length(); k++) {
                final char c = p.charAt(k);
                if (c < '0' || c > '9') {
                    return null;
                }
                v = v * 10 + (c - '0');
            }
            if (v > 255) {
                return null;
            }
            out[i] = (byte) v;
        }
        return out;
    }

    private static byte[] parseV6(String s) {
        final byte[] out = new byte[16];
        int ellipsis = -1;
        int at = 0;
        int i = 0;
        if (s.startsWith("::")) {
            ellipsis = 0;
            i = 2;
            if (i == s.length()) {
                return out;
            }
        }
        while (at < 16) {
            int end = i;
            int value = 0;
            while (end < s.length() && Character.digit(s.charAt(end), 16) >= 0 && end - i < 4) {
                value = value * 16 + Character.digit(s.charAt(end), 16);
                end++;
            }
            if (end == i) {
                return null;
            }
            if (end < s.length() && s.charAt(end) == '.') {
                if (ellipsis < 0 && at != 12 || at + 4 > 16) {
                    return null;
                }
                final byte[] v4 = parseV4(s.substring(i));
                if (v4 == null) {
                    return null;
                }
                System.arraycopy(v4, 0, out, at, 4);
                at += 4;
                i = s.length();
                break;
            }
            out[at++] = (byte) (value >> 8);
            out[at++] = (byte) value;
            i = end;
            if (i == s.length()) {
                break;
            }
            if (s.charAt(i) != ':' || i + 1 == s.length()) {
                return null;
            }
            i++;
            if (s.charAt(i) == ':') {
                if (ellipsis >= 0) {
                    return null;
                }
                ellipsis = at;
                i++;
                if (i == s.length()) {
                    break;
                }
            }
        }
        if (i != s.length()) {
            return null;
        }
        if (at < 16) {
            if (ellipsis < 0) {
                return null;
            }
            final int n = 16 - at;
            for (int k = at - 1; k >= ellipsis; k--) {
                out[k + n] = out[k];
            }
            for (int k = ellipsis + n - 1; k >= ellipsis; k--) {
                out[k] = 0;
            }
        } else if (ellipsis >= 0) {
            return null;
        }
        return out;
    }
}
