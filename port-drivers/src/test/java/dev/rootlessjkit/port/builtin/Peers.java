package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/** Servers and clients on loopback that the builtin driver's tests forward between. */
final class Peers {
    private Peers() {
    }

    /** Echoes every connection to {@code server} (each on its own thread) until it is closed. */
    static int serveTcpEcho(ServerSocket server) {
        daemon(() -> {
            while (!server.isClosed()) {
                try {
                    final Socket c = server.accept();
                    daemon(() -> {
                        try (c) {
                            c.getInputStream().transferTo(c.getOutputStream());
                            c.shutdownOutput();
                        } catch (IOException e) {
                            // client went away
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server.getLocalPort();
    }

    /** Echoes every datagram to its sender until {@code socket} is closed. */
    static int serveUdpEcho(DatagramSocket socket) {
        daemon(() -> {
            final byte[] buf = new byte[65535];
            try {
                while (true) {
                    final DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    socket.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
                }
            } catch (IOException e) {
                // closed at the end of the test
            }
        });
        return socket.getLocalPort();
    }

    static void roundTrips(int port, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            roundTrip(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }
    }

    /** Connects {@code n} times to {@code port}, each connection closed (or reset) within 2 s without an answer. */
    static void roundTripsFail(int port, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(2000);
                s.getOutputStream().write(1);
                assertEquals(-1, readOrReset(s));
            } catch (SocketException e) {
                // reset before the write: refused as well
            }
        }
    }

    /** Sends "ping", half-closes, and expects "ping" back, within 3 s. */
    static void roundTrip(InetSocketAddress to) throws IOException {
        assertEquals("ping", exchange(to, "ping"));
    }

    /** Sends {@code text}, half-closes, and returns all that comes back (3 s timeouts). */
    static String exchange(InetSocketAddress to, String text) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(to, 3000);
            s.setSoTimeout(3000);
            s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    static int readOrReset(Socket s) throws IOException {
        try {
            return s.getInputStream().read();
        } catch (SocketException e) {
            return -1;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static long openFds() throws IOException {
        try (var list = Files.list(Path.of("/proc/self/fd"))) {
            return list.count();
        }
    }

    /**
     * The fds open at one moment, each as "number -> what it points to" (socket:[inode], pipe:[inode], a path). A
     * test compares what is open later with this, fd by fd, rather than counting: on a busy machine a loop another
     * test closed may still be closing its fds meanwhile, and a count then misses by one either way.
     */
    static final class FdSnapshot {
        private final Set<String> open;

        private FdSnapshot(Set<String> open) {
            this.open = open;
        }

        static FdSnapshot take() throws IOException {
            return new FdSnapshot(openFdEntries());
        }

        /** The fds open now that were not open at the snapshot. */
        Set<String> openedSince() throws IOException {
            final Set<String> now = openFdEntries();
            now.removeAll(open);
            return now;
        }

        /** Waits up to a second for every fd opened since the snapshot to be closed; returns those still open. */
        Set<String> stillOpenSince() throws IOException, InterruptedException {
            Set<String> opened = openedSince();
            for (int i = 0; i < 50 && !opened.isEmpty(); i++) {
                Thread.sleep(20);
                opened = openedSince();
            }
            return opened;
        }

        private static Set<String> openFdEntries() throws IOException {
            final Set<String> entries = new TreeSet<>();
            final Path listing = Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "fd");
            try (var list = Files.list(listing)) {
                for (Path fd : (Iterable<Path>) list::iterator) {
                    try {
                        final Path target = Files.readSymbolicLink(fd);
                        if (!target.equals(listing)) { // the listing's own fd
                            entries.add(fd.getFileName() + " -> " + target);
                        }
                    } catch (NoSuchFileException e) {
                        // closed since it was listed
                    }
                }
            }
            return entries;
        }
    }

    /** What an fd of the TCP socket listening on 127.0.0.1:{@code port} points to: socket:[its inode]. */
    static String listeningSocket(int port) throws IOException {
        final String local = String.format("0100007F:%04X", port);
        for (String line : Files.readAllLines(Path.of("/proc/self/net/tcp"))) {
            final String[] f = line.trim().split("\\s+");
            // sl local_address rem_address st ... inode (the tenth field); st 0A is LISTEN
            if (f.length > 9 && f[1].equals(local) && f[3].equals("0A")) {
                return "socket:[" + f[9] + "]";
            }
        }
        throw new IOException("nothing listens on 127.0.0.1:" + port);
    }

    /** Waits up to a second for no fd of this process to point to {@code target}; returns whether none does. */
    static boolean closedSettled(String target) throws IOException, InterruptedException {
        for (int i = 0; i < 50; i++) {
            if (FdSnapshot.take().open.stream().noneMatch(e -> e.endsWith(" -> " + target))) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    static boolean hasIpv6Loopback() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("::1", 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static Thread daemon(Runnable r) {
        final Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
