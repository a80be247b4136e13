package dev.rootlessjkit.it;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A DNS server that knows one name: A queries for it get one address, anything else NXDOMAIN. Run inside a
 * network namespace the test created ({@code ip netns exec NS java ... TinyDns ADDRESS NAME IP}), so no query of
 * the tests ever reaches a real resolver.
 */
public final class TinyDns {
    private static final int TYPE_A = 1;

    private TinyDns() {
    }

    public static void main(String[] args) throws Exception {
        final byte[] answerIp = InetAddress.getByName(args[2]).getAddress();
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(args[0]), 53))) {
            System.out.println("ready");
            System.out.flush();
            final byte[] buffer = new byte[512];
            while (true) {
                final DatagramPacket query = new DatagramPacket(buffer, buffer.length);
                socket.receive(query);
                final byte[] reply = answer(buffer, query.getLength(), args[1], answerIp);
                if (reply != null) {
                    socket.send(new DatagramPacket(reply, reply.length, query.getSocketAddress()));
                }
            }
        }
    }

    /** The reply to one query, or null for something that is not a single-question query. */
    static byte[] answer(byte[] q, int length, String name, byte[] ip) {
        if (length < 12 || q[4] != 0 || q[5] != 1) {
            return null;
        }
        final StringBuilder asked = new StringBuilder();
        int at = 12;
        while (at < length && q[at] != 0) {
            final int label = q[at] & 0xff;
            if (at + 1 + label > length) {
                return null;
            }
            asked.append(asked.length() == 0 ? "" : ".").append(new String(q, at + 1, label,
                    java.nio.charset.StandardCharsets.US_ASCII));
            at += 1 + label;
        }
        final int questionEnd = at + 5;
        if (questionEnd > length) {
            return null;
        }
        final int type = (q[at + 1] & 0xff) << 8 | (q[at + 2] & 0xff);
        final boolean known = asked.toString().equalsIgnoreCase(name);
        final boolean answers = known && type == TYPE_A;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(q[0]);
        out.write(q[1]);
        out.write(0x81); // response, recursion desired
        out.write(known ? 0x80 : 0x83); // recursion available; NXDOMAIN for unknown names
        out.writeBytes(new byte[] {0, 1, 0, (byte) (answers ? 1 : 0), 0, 0, 0, 0});
        out.write(q, 12, questionEnd - 12);
        if (answers) {
            out.writeBytes(new byte[] {(byte) 0xc0, 12, 0, TYPE_A, 0, 1, 0, 0, 0, 60, 0, 4});
            out.writeBytes(ip);
        }
        return out.toByteArray();
    }
}
