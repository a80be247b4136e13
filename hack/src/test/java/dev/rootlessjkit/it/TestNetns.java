package dev.rootlessjkit.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A network namespace the test creates (root only) and reaches over a veth pair: 10.213.N.1 on the host side,
 * 10.213.N.2 inside. Servers run inside it stand in for "other hosts" without any traffic leaving the machine.
 */
final class TestNetns implements AutoCloseable {

    private final String name;
    private final String hostVeth;
    private final int subnet;
    private final List<Process> processes = new ArrayList<>();

    private TestNetns(String name, String hostVeth, int subnet) {
        this.name = name;
        this.hostVeth = hostVeth;
        this.subnet = subnet;
    }

    static TestNetns create() {
        final String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        final TestNetns netns = new TestNetns("rjit-" + id, "rjh" + id, ThreadLocalRandom.current().nextInt(1, 255));
        try {
            Host.asRoot("ip", "netns", "add", netns.name);
            Host.asRoot("ip", "link", "add", netns.hostVeth, "type", "veth", "peer", "name", "rjn" + id, "netns",
                    netns.name);
            Host.asRoot("ip", "addr", "add", netns.hostAddress() + "/24", "dev", netns.hostVeth);
            Host.asRoot("ip", "link", "set", netns.hostVeth, "up");
            Host.asRoot("ip", "-n", netns.name, "addr", "add", netns.address() + "/24", "dev", "rjn" + id);
            Host.asRoot("ip", "-n", netns.name, "link", "set", "rjn" + id, "up");
            Host.asRoot("ip", "-n", netns.name, "link", "set", "lo", "up");
        } catch (RuntimeException e) {
            netns.close();
            throw e;
        }
        return netns;
    }

    /** The address of the namespace's end of the veth, where its servers listen. */
    String address() {
        return "10.213." + subnet + ".2";
    }

    String hostAddress() {
        return "10.213." + subnet + ".1";
    }

    /**
     * Gives both ends of the veth an IPv6 address as well, as RootlessKit's integration-ipv6.sh gives the host a
     * dummy interface with an fdaa:: address: {@link #ipv6HostAddress()} here, {@link #ipv6Address()} inside
     * (without duplicate address detection, so they are usable at once).
     */
    TestNetns withIpv6() {
        final String inside = "rjn" + hostVeth.substring("rjh".length());
        Host.asRoot("ip", "addr", "add", ipv6HostAddress() + "/64", "dev", hostVeth, "nodad");
        Host.asRoot("ip", "-n", name, "addr", "add", ipv6Address() + "/64", "dev", inside, "nodad");
        return this;
    }

    String ipv6Address() {
        return "fdaa:aaaa:aaaa:" + Integer.toHexString(subnet) + "::2";
    }

    String ipv6HostAddress() {
        return "fdaa:aaaa:aaaa:" + Integer.toHexString(subnet) + "::1";
    }

    /** Starts a server inside, stopped by {@link #close()}; stdout and stderr are the process's input stream. */
    Process start(List<String> command) {
        final List<String> line = new ArrayList<>(List.of("ip", "netns", "exec", name));
        line.addAll(command);
        try {
            final Process process = new ProcessBuilder(line).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            processes.add(process);
            return process;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + line, e);
        }
    }

    @Override
    public void close() {
        for (Process process : processes) {
            process.destroyForcibly();
            Exec.awaitOrKill(process, Duration.ofSeconds(10));
        }
        Exec.run(List.of("ip", "netns", "del", name), Duration.ofSeconds(30));
        Exec.run(List.of("ip", "link", "del", hostVeth), Duration.ofSeconds(30));
    }
}
