package dev.rootlessjkit.messages;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each message as flat JSON with the record's name in {@code Name}, as RootlessKit's own messages are, so a
 * captured exchange reads the same: {@code {"Name":"ChildHello","HostPID":7}}. Members the reader does not know
 * are ignored and missing ones take their empty value, so both halves may differ by a field.
 */
final class MessageJson {
    private MessageJson() {
    }

    static String write(Message message) {
        final Fields out = new Fields(message.getClass().getSimpleName());
        if (message instanceof ParentHello hello) {
            out.name("Config").append(config(hello.config()));
        } else if (message instanceof ChildHello hello) {
            out.number("HostPID", hello.hostPid());
        } else if (message instanceof ParentInitNetworkDriverCompleted network) {
            out.name("Network").append(network(network.network()));
        } else if (message instanceof ParentInitPortDriverCompleted ports) {
            out.map("PortDriverOpaque", ports.opaque());
        }
        return out.end();
    }

    static Message read(String json) throws FrameException {
        if (!(JsonText.parse(json) instanceof Map<?, ?> members)) {
            throw new FrameException("malformed message: not a JSON object");
        }
        final Members m = new Members(members);
        final String name = m.string("Name");
        if (name == null) {
            throw new FrameException("malformed message: no Name");
        }
        return switch (name) {
            case "ParentHello" -> new ParentHello(config(m.object("Config")));
            case "ChildHello" -> new ChildHello(m.number("HostPID"));
            case "ParentInitIdmapCompleted" -> new ParentInitIdmapCompleted();
            case "ChildInitUserNSCompleted" -> new ChildInitUserNSCompleted();
            case "ParentInitNetworkDriverCompleted" -> new ParentInitNetworkDriverCompleted(network(m.object("Network")));
            case "ParentInitPortDriverCompleted" -> new ParentInitPortDriverCompleted(m.map("PortDriverOpaque"));
            case "ParentInitCompleted" -> new ParentInitCompleted();
            case "Goodbye" -> new Goodbye();
            default -> throw new FrameException("malformed message: unknown message " + name);
        };
    }

    private static String config(ChildConfig c) {
        return new Fields(null).string("StateDir", c.stateDir()).string("Network", c.network())
                .bool("NewNetNS", c.newNetNs()).bool("DetachNetNS", c.detachNetNs())
                .string("Propagation", c.propagation()).list("CopyUpDirs", c.copyUpDirs()).bool("PidNS", c.pidNs())
                .bool("Reaper", c.reaper()).string("EvacuateCgroup2", c.evacuateCgroup2())
                .list("Command", c.command()).bool("Debug", c.debug()).string("InterfaceName", c.interfaceName())
                .end();
    }

    private static ChildConfig config(Members c) throws FrameException {
        if (c == null) {
            return null;
        }
        return new ChildConfig(c.string("StateDir"), c.string("Network"), c.bool("NewNetNS"),
                c.bool("DetachNetNS"), c.string("Propagation"), c.list("CopyUpDirs"), c.bool("PidNS"),
                c.bool("Reaper"), c.string("EvacuateCgroup2"), c.list("Command"), c.bool("Debug"),
                c.string("InterfaceName"));
    }

    /** Null members are left out, as they always were for this record. */
    private static String network(NetworkConfig n) {
        if (n == null) {
            return "null";
        }
        final Fields out = new Fields(null);
        if (n.dev() != null) {
            out.string("Dev", n.dev());
        }
        if (n.ip() != null) {
            out.string("IP", n.ip());
        }
        out.number("Netmask", n.netmask());
        if (n.gateway() != null) {
            out.string("Gateway", n.gateway());
        }
        return out.list("DNS", n.dns()).number("MTU", n.mtu()).map("NetworkDriverOpaque", n.opaque()).end();
    }

    private static NetworkConfig network(Members n) throws FrameException {
        if (n == null) {
            return null;
        }
        return new NetworkConfig(n.string("Dev"), n.string("IP"), (int) n.number("Netmask"), n.string("Gateway"),
                n.list("DNS"), (int) n.number("MTU"), n.map("NetworkDriverOpaque"));
    }

    /** A JSON object being written, member by member. */
    private static final class Fields {
        private final StringBuilder out = new StringBuilder("{");

        Fields(String messageName) {
            if (messageName != null) {
                string("Name", messageName);
            }
        }

        StringBuilder name(String name) {
            if (out.length() > 1) {
                out.append(',');
            }
            JsonText.quote(out, name);
            return out.append(':');
        }

        Fields string(String name, String value) {
            if (value == null) {
                name(name).append("null");
            } else {
                JsonText.quote(name(name), value);
            }
            return this;
        }

        Fields number(String name, long value) {
            name(name).append(value);
            return this;
        }

        Fields bool(String name, boolean value) {
            name(name).append(value);
            return this;
        }

        Fields list(String name, List<String> values) {
            final StringBuilder b = name(name).append('[');
            for (int i = 0; i < values.size(); i++) {
                if (i > 0) {
                    b.append(',');
                }
                JsonText.quote(b, values.get(i));
            }
            b.append(']');
            return this;
        }

        Fields map(String name, Map<String, String> values) {
            final Fields inner = new Fields(null);
            values.forEach(inner::string);
            name(name).append(inner.end());
            return this;
        }

        String end() {
            return out.append('}').toString();
        }
    }

    /** A parsed JSON object, read member by member with the type each member must have. */
    private static final class Members {
        private final Map<?, ?> members;

        Members(Map<?, ?> members) {
            this.members = members;
        }

        private <T> T typed(String name, Class<T> type, String typeName) throws FrameException {
            final Object value = members.get(name);
            if (value == null) {
                return null;
            }
            if (!type.isInstance(value)) {
                throw new FrameException("malformed message: " + name + " is not " + typeName);
            }
            return type.cast(value);
        }

        String string(String name) throws FrameException {
            return typed(name, String.class, "a string");
        }

        boolean bool(String name) throws FrameException {
            return Boolean.TRUE.equals(typed(name, Boolean.class, "a boolean"));
        }

        long number(String name) throws FrameException {
            final Long value = typed(name, Long.class, "an integer");
            return value == null ? 0 : value;
        }

        Members object(String name) throws FrameException {
            final Map<?, ?> value = typed(name, Map.class, "an object");
            return value == null ? null : new Members(value);
        }

        List<String> list(String name) throws FrameException {
            final List<?> value = typed(name, List.class, "an array");
            if (value == null) {
                return null;
            }
            final List<String> strings = new ArrayList<>(value.size());
            for (Object element : value) {
                if (!(element instanceof String s)) {
                    throw new FrameException("malformed message: " + name + " holds a non-string");
                }
                strings.add(s);
            }
            return strings;
        }

        Map<String, String> map(String name) throws FrameException {
            final Map<?, ?> value = typed(name, Map.class, "an object");
            if (value == null) {
                return null;
            }
            final Map<String, String> strings = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : value.entrySet()) {
                if (!(e.getValue() instanceof String s)) {
                    throw new FrameException("malformed message: " + name + "." + e.getKey() + " is not a string");
                }
                strings.put((String) e.getKey(), s);
            }
            return strings;
        }
    }
}
