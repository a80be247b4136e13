package dev.rootlessjkit.net.lxcusernic;

import java.io.IOException;

/** Where the DHCP client's IPv4 packets go and come from: a packet socket on the interface, or a test's server. */
interface DhcpTransport {
    /** Sends one IPv4 packet as a link-layer broadcast. */
    void send(byte[] packet) throws IOException;

    /** Receives one IPv4 packet into {@code into}; its length, or -1 when none came within {@code timeoutMillis}. */
    int receive(byte[] into, int timeoutMillis) throws IOException;
}
