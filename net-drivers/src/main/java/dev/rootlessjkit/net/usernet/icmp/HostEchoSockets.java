package dev.rootlessjkit.net.usernet.icmp;

import dev.rootlessjkit.linux.IcmpSockets;
import java.io.IOException;

/** This host's ping sockets; the native binding loads on the first echo request, not with the stack. */
public final class HostEchoSockets implements EchoSockets {
    private IcmpSockets sockets;

    @Override
    public int open() throws IOException {
        if (sockets == null) {
            sockets = IcmpSockets.load();
        }
        return sockets.openEcho();
    }

    @Override
    public int open6() throws IOException {
        if (sockets == null) {
            sockets = IcmpSockets.load();
        }
        return sockets.openEcho6();
    }
}
