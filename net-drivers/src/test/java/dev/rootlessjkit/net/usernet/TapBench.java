package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.linux.Tap;
import java.io.IOException;

/**
 * The stack on a real TAP device, for hack/benchmark-usernet.sh: creates TAP {@code NAME} in the current network
 * namespace (the script then moves it into a namespace of its own), prints "ready", runs until stdin closes, then
 * prints the counters. Not a test: it needs root (or CAP_NET_ADMIN) and a namespace to put the device in.
 *
 * <p>Usage: {@code TapBench NAME MTU vnet|plain [ipv4|ipv6]} (ipv6: the network serves IPv6 as with --ipv6)
 */
public final class TapBench {
    private TapBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 && args.length != 4) {
            System.err.println("usage: TapBench NAME MTU vnet|plain [ipv4|ipv6]");
            System.exit(2);
        }
        boolean vnet = args[2].equals("vnet");
        int mtu = Integer.parseInt(args[1]);
        Tap tap = Tap.load();
        int fd = tap.open(args[0], vnet ? Tap.VNET_HDR : 0);
        if (vnet) {
            tap.setOffload(fd, TapHandOver.OFFLOADS);
        }
        boolean ipv6 = args.length == 4 && args[3].equals("ipv6");
        TestConfig config = TestConfig.defaults().mtu(mtu);
        if (ipv6) {
            config.ipv6();
        }
        try (UsernetNetwork net = UsernetNetwork.start(config.build(), fd, vnet, System.err::println)) {
            System.out.println("ready");
            System.out.flush();
            waitForEof();
            System.out.println(net.counters());
        }
    }

    private static void waitForEof() throws IOException {
        byte[] b = new byte[256];
        while (System.in.read(b) >= 0) {
            // Only the end of input matters.
        }
    }
}
