package dev.rootlessjkit.port;

/**
 * The few Go formatting rules RootlessKit's messages are made of, so ours read the same to users and scripts:
 * {@code %q} string quoting and {@code strconv.Atoi} with its error text.
 */
public final class GoText {
    private GoText() {
    }

    /** Go's {@code strconv.Quote}: double quotes, backslash escapes, printable Unicode kept as is. */
    public static String quote(String s) {
        final StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        s.codePoints().forEach(c -> {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case 7 -> b.append("\\a");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case 11 -> b.append("\\v");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format("\\x%02x", c));
                    } else if (Character.isISOControl(c) || !Character.isDefined(c)
                            || Character.getType(c) == Character.SURROGATE) {
                        b.append(c > 0xffff ? String.format("\\U%08x", c) : String.format("\\u%04x", c));
                    } else {
                        b.appendCodePoint(c);
                    }
                }
            }
        });
        return b.append('"').toString();
    }

    /** Go's {@code strconv.Atoi} on a 64-bit platform: optional sign, decimal digits, nothing else. */
    public static long atoi(String s) throws NumberFormatException {
        int i = 0;
        if (!s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-')) {
            i = 1;
        }
        if (i == s.length()) {
            throw new NumberFormatException(atoiError(s, "invalid syntax"));
        }
        for (int k = i; k < s.length(); k++) {
            if (s.charAt(k) < '0' || s.charAt(k) > '9') {
                throw new NumberFormatException(atoiError(s, "invalid syntax"));
            }
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new NumberFormatException(atoiError(s, "value out of range"));
        }
    }

    private static String atoiError(String s, String why) {
        return "strconv.Atoi: parsing " + quote(s) + ": " + why;
    }
}
