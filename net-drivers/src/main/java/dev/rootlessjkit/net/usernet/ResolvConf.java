package dev.rootlessjkit.net.usernet;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The IPv4 nameservers of a resolv.conf: the DNS forwarder's default upstreams. */
public final class ResolvConf {
    private static final int DNS_PORT = 53;

    private ResolvConf() {
    }

    /** The {@code nameserver} lines with IPv4 addresses, in order; none when the file is missing. */
    public static List<InetSocketAddress> nameservers(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<InetSocketAddress> result = new ArrayList<>();
        for (String line : lines) {
            String[] words = line.trim().split("\\s+");
            if (words.length < 2 || !words[0].equals("nameserver")) {
                continue;
            }
            try {
                result.add(new InetSocketAddress(Ipv4Address.toInet(Ipv4Address.parse(words[1])), DNS_PORT));
            } catch (IllegalArgumentException e) {
                // IPv6 nameservers: the forwarder speaks to IPv4 upstreams only for now.
            }
        }
        return result;
    }
}
