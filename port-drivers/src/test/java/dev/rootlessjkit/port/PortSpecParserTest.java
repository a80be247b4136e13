package dev.rootlessjkit.port;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PortSpecParserTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // RootlessKit's own test cases and the specs seen working live (inventory §7.1, Appendix B).
        "127.0.0.1:8080:80/tcp|tcp|127.0.0.1|8080||80",
        "127.0.0.1:8080:80/tcp4|tcp4|127.0.0.1|8080||80",
        "127.0.0.1:8080:10.0.2.100:80/tcp|tcp|127.0.0.1|8080|10.0.2.100|80",
        "[::1]:8080:80/tcp|tcp|::1|8080||80",
        "[::1]:8080:[::2]:80/udp|udp|::1|8080|::2|80",
        "[::1]:28093:[127.0.0.1]:80/tcp6|tcp6|::1|28093|127.0.0.1|80",
        ":28094:80/tcp|tcp||28094||80",
        "0.0.0.0:28091:80/tcp4|tcp4|0.0.0.0|28091||80",
        "[::]:8080:80/tcp6|tcp6|::|8080||80",
        "0.0.0.0:8080:[::1]:80/tcp4|tcp4|0.0.0.0|8080|::1|80",
        // Also accepted by RootlessKit: whitespace around parts, an empty child IP, bracketed IPv4, sctp.
        "127.0.0.1 : 8080:80/tcp|tcp|127.0.0.1|8080||80",
        "127.0.0.1:8080::80/tcp|tcp|127.0.0.1|8080||80",
        "[127.0.0.1]:8080:80/udp4|udp4|127.0.0.1|8080||80",
        "127.0.0.1:8080:80/sctp|sctp|127.0.0.1|8080||80",
        "127.0.0.1:0:80/tcp|tcp|127.0.0.1|0||80",
        // Docker's short forms, which RootlessKit rejects.
        "8080:80/tcp|tcp||8080||80",
        "8080:10.0.2.100:80/udp|udp||8080|10.0.2.100|80",
        "8080:[::1]:80/tcp6|tcp6||8080|::1|80",
    })
    void accepts(String spec, String proto, String parentIP, int parentPort, String childIP, int childPort)
            throws InvalidPortSpecException {
        assertEquals(new PortSpec(proto, parentIP, parentPort, childIP, childPort), PortSpecParser.parse(spec));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "bad|missing proto in PortSpec string: \"bad\"",
        "8080|missing proto in PortSpec string: \"8080\"",
        "127.0.0.1:28095:80|missing proto in PortSpec string: \"127.0.0.1:28095:80\"",
        "127.0.0.1:8080:80/TCP|invalid PortSpec string: \"127.0.0.1:8080:80/TCP\": unknown proto: \"TCP\"",
        "8080/tcp|unexpected PortSpec string: \"8080/tcp\"",
        "localhost:28095:80/tcp|unexpected ParentIP in PortSpec string: \"localhost:28095:80/tcp\"",
        "127.0.0.1:8080:bad:80/tcp|unexpected ChildIP in PortSpec string: \"127.0.0.1:8080:bad:80/tcp\"",
        "127.0.0.1:x:80/tcp|unexpected ParentPort in PortSpec string: \"127.0.0.1:x:80/tcp\": "
                + "strconv.Atoi: parsing \"x\": invalid syntax",
        "127.0.0.1:80:y/tcp|unexpected ChildPort in PortSpec string: \"127.0.0.1:80:y/tcp\": "
                + "strconv.Atoi: parsing \"y\": invalid syntax",
        // RootlessKit glues 99 and 80 into child port 8099 here.
        "1.2.3.4:80:5.6.7.8:99:80/tcp|unexpected PortSpec string: \"1.2.3.4:80:5.6.7.8:99:80/tcp\"",
        "127.0.0.1:8080:80/tcp,127.0.0.1:4040:40/tcp|unexpected PortSpec string: "
                + "\"127.0.0.1:8080:80/tcp,127.0.0.1:4040:40/tcp\"",
        "::1:8080:80/tcp|unexpected PortSpec string: \"::1:8080:80/tcp\" (IPv6 addresses must be in brackets)",
        "[::1]8080:80/tcp|unexpected PortSpec string: \"[::1]8080:80/tcp\"",
        "[::1:8080:80/tcp|unexpected PortSpec string: \"[::1:8080:80/tcp\"",
        "127.0.0.1:[80]:80/tcp|unexpected PortSpec string: \"127.0.0.1:[80]:80/tcp\"",
        "127.0.0.1:99999999999:80/tcp|invalid ParentPort: 99999999999",
    })
    void rejects(String spec, String message) {
        assertEquals(message, assertThrows(InvalidPortSpecException.class, () -> PortSpecParser.parse(spec))
                .getMessage());
    }

    @Test
    void validatorUsesRootlessKitsMessagesInItsOrder() {
        final List<PortStatus> existing = List.of(new PortStatus(1, new PortSpec("tcp", "127.0.0.1", 28080, "", 80)));
        assertEquals("unknown proto: \"TCP\"", invalid(new PortSpec("TCP", "127.0.0.1", 28081, "", 80), existing));
        assertEquals("unknown proto: \"\"", invalid(new PortSpec("", "", 0, "", 0), existing));
        assertEquals("invalid ParentIP: \"notanip\"", invalid(new PortSpec("tcp", "notanip", 1, "", 80), existing));
        assertEquals("invalid ChildIP: \"bad\"", invalid(new PortSpec("tcp", "127.0.0.1", 1, "bad", 80), existing));
        assertEquals("invalid ParentPort: 0", invalid(new PortSpec("tcp", "127.0.0.1", 0, "", 80), existing));
        assertEquals("invalid ParentPort: 70000", invalid(new PortSpec("tcp", "", 70000, "", 80), existing));
        assertEquals("invalid ChildPort: 0", invalid(new PortSpec("tcp", "127.0.0.1", 28082, "", 0), existing));
        assertEquals("invalid ChildPort: -1", invalid(new PortSpec("tcp", "127.0.0.1", 28082, "", -1), existing));
        assertEquals("conflict with ID 1", invalid(new PortSpec("tcp", "127.0.0.1", 28080, "", 81), existing));
        assertEquals(null, invalid(new PortSpec("tcp", "", 28080, "", 80), existing));
        assertEquals(null, invalid(new PortSpec("udp", "127.0.0.1", 28080, "", 80), existing));
        assertEquals(null, invalid(new PortSpec("tcp4", "127.0.0.1", 28080, "", 80), existing));
    }

    private static String invalid(PortSpec spec, List<PortStatus> existing) {
        try {
            PortSpecValidator.validate(spec, existing);
            return null;
        } catch (PortDriverException e) {
            return e.getMessage();
        }
    }

    @ParameterizedTest
    @CsvSource({"::,16", "::1,16", "1::,16", "1:2:3:4:5:6:7:8,16", "1:2:3:4:5:6:7::,16", "::1.2.3.4,16",
        "1:2:3:4:5:6:1.2.3.4,16", "::ffff:1.2.3.4,4", "fe80::1,16", "0.0.0.0,4", "255.255.255.255,4",
        "FE80::ABCD,16"})
    void ipLiteralsGoAccepts(String ip, int length) {
        assertEquals(length, IpLiteral.parse(ip).length);
    }

    @ParameterizedTest
    @CsvSource({"fe80::1%eth0", "1::2::3", ":1", "1:", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "01.2.3.4",
        "256.1.1.1", "1.2.3", "1.2.3.4.5", "localhost", "12345::", "::1.2.3", "1.2.3.4::", "[::1]", "' '"})
    void ipLiteralsGoRejects(String ip) {
        assertEquals(null, IpLiteral.parse(ip));
    }

    @Test
    void goQuoting() {
        assertEquals("\"a\\\"b\\\\c\\n\\x00é\"", GoText.quote("a\"b\\c\n\u0000é"));
    }
}
