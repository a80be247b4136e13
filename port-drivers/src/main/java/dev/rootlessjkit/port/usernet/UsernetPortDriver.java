package dev.rootlessjkit.port.usernet;

import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.CountedPort;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.api.PortCounters;
import dev.rootlessjkit.net.api.PortPublisher;
import dev.rootlessjkit.port.GoText;
import dev.rootlessjkit.port.HostListenerDriver;
import dev.rootlessjkit.port.IpLiteral;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortDriverKind;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.Proto;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * {@code --port-driver=usernet} (with {@code --net=usernet} only): our stack listens on the host and opens each
 * connection into the namespace itself, so the server inside sees the client's real address. A loopback client
 * cannot keep 127.0.0.1 (inside, that is the namespace's own loopback) and appears as the gateway (cidr+2, e.g.
 * 10.0.2.2), as do IPv6 clients and addresses of the namespace's own network; every other client keeps its
 * address. Parent only: the child runs CMD without a half of ours. {@code tcp6}/{@code udp6} (and an IPv6 child IP)
 * lead to the namespace's IPv6 address under --ipv6, where IPv6 clients keep their address (loopback ones appear as
 * the gateway fd00::2); without --ipv6, {@code tcp6}/{@code udp6} lead to its IPv4 address. IDs are never reused.
 */
public final class UsernetPortDriver extends HostListenerDriver<CountedPort> {
    private final PortPublisher stack;

    /** @param stack the network driver's stack, which runs from {@link #start} on */
    public UsernetPortDriver(PortPublisher stack, Log log) {
        super(Sockets.load(), log);
        this.stack = stack;
    }

    @Override
    public PortDriverInfo info() {
        // A loopback child IP would be the namespace's own loopback, which no packet from outside may reach.
        return new PortDriverInfo(PortDriverKind.USERNET.cliName, Proto.TCP_AND_UDP, true);
    }

    @Override
    public Map<String, String> opaqueForChild() {
        return Map.of();
    }

    @Override
    protected Proto protocol(PortSpec spec) throws PortDriverException {
        final Proto proto = Proto.of(spec.proto()).orElse(null);
        if (proto == null || !Proto.TCP_AND_UDP.contains(spec.proto())) {
            throw new PortDriverException("unsupported protocol " + GoText.quote(spec.proto())
                    + " (the usernet port driver forwards " + String.join(", ", Proto.TCP_AND_UDP) + ")");
        }
        guestAddress(spec);
        return proto;
    }

    /**
     * The network driver started the stack before the port driver starts: the port goes to the stack, with what
     * its socket held in the meantime.
     */
    @Override
    protected CountedPort serve(PortSpec spec, Proto proto, int fd) throws PortDriverException {
        final byte[] guestIp;
        try {
            guestIp = guestAddress(spec);
        } catch (PortDriverException e) {
            // Checked when the port was added; the socket is ours to close all the same.
            sockets.close(fd);
            throw e;
        }
        try {
            if (guestIp == null ? spec.proto().endsWith("6") : guestIp.length == 16) {
                return proto.isTcp() ? stack.publishTcp6(fd, guestIp, spec.childPort())
                        : stack.publishUdp6(fd, guestIp, spec.childPort());
            }
            final int guestIpv4 = guestIp == null ? 0 : ByteBuffer.wrap(guestIp).getInt();
            return proto.isTcp() ? stack.publishTcp(fd, guestIpv4, spec.childPort())
                    : stack.publishUdp(fd, guestIpv4, spec.childPort());
        } catch (NetworkDriverException e) {
            throw new PortDriverException("cannot serve " + spec + ": " + e.getMessage(), e);
        }
    }

    /** The spec's child IP when given (4 or 16 bytes), else null for the address the namespace was given. */
    static byte[] guestAddress(PortSpec spec) throws PortDriverException {
        if (spec.childIP().isEmpty()) {
            return null;
        }
        final byte[] ip = IpLiteral.parse(spec.childIP());
        if (ip == null) {
            throw new PortDriverException("invalid IP: " + GoText.quote(spec.childIP()));
        }
        return ip;
    }

    @Override
    protected PortCounters counters(CountedPort port) {
        return port.traffic().counters();
    }

    /** The port's listener closes here; the stack itself stops with the network driver. */
    @Override
    protected void stop(CountedPort port) throws Exception {
        port.close();
    }
}
