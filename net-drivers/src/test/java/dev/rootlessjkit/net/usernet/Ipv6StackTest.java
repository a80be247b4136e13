package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.Ipv6Frames.ALL_NODES;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.ALL_ROUTERS;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.DNS;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.GATEWAY;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.GATEWAY_LINK_LOCAL;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.GUEST;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.GUEST_LINK_LOCAL;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.OUTSIDE;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.UNSPECIFIED;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.echoRequest;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.frame;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.icmpv6Packet;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.ipv6;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.multicastFrame;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.neighborSolicitation;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.solicitedNode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** IPv6 on the guest link: Neighbor Discovery, router advertisements, echo, errors, and hostile headers. */
class Ipv6StackTest {
    private static final int MTU = 1500;
    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();

    private StackHarness h;

    @BeforeEach
    void setUp() {
        h = stacks.harness(TestConfig.defaults().mtu(MTU).ipv6().build());
    }

    /** Checks a router advertisement as the guest's kernel would use it, and returns its ICMPv6 bytes. */
    private static ByteBuffer assertRouterAdvertisement(Parsed frame) {
        Ipv6Parsed ra = new Ipv6Parsed(frame);
        assertEquals(0x3333_0000_0001L, frame.ethDst());
        assertEquals(TestFrames.STACK_MAC, frame.ethSrc());
        assertEquals(255, ra.hopLimit());
        assertArrayEquals(GATEWAY_LINK_LOCAL, ra.src(), "from the link-local router address");
        assertArrayEquals(ALL_NODES, ra.dst());
        ByteBuffer m = ByteBuffer.wrap(ra.l4());
        assertEquals(134, m.get(0) & 0xff);
        assertEquals(1800, m.getShort(6) & 0xffff, "router lifetime");
        // Options: source link-layer address, MTU, prefix information, RDNSS.
        assertEquals(1, m.get(16));
        assertEquals(TestFrames.STACK_MAC, ((long) (m.getShort(18) & 0xffff) << 32) | (m.getInt(20) & 0xffffffffL));
        assertEquals(5, m.get(24));
        assertEquals(MTU, m.getInt(28));
        assertEquals(3, m.get(32));
        assertEquals(64, m.get(34), "prefix length");
        assertEquals(0xc0, m.get(35) & 0xff, "on-link and autonomous");
        assertEquals(0xfd00_0000_0000_0000L, m.getLong(48));
        assertEquals(0L, m.getLong(56));
        assertEquals(25, m.get(64));
        assertArrayEquals(DNS, Arrays.copyOfRange(m.array(), 72, 88));
        assertEquals(88, m.capacity());
        return m;
    }

    @Test
    void aRouterAdvertisementGoesOutAtStartAndAnswersEverySolicitation() {
        assertRouterAdvertisement(h.next());
        h.send(multicastFrame(ALL_ROUTERS, icmpv6Packet(GUEST_LINK_LOCAL, ALL_ROUTERS, 255, 133, 0, 0,
                new byte[] {1, 1, 2, 0, 0, 0, 0, 1})));
        assertRouterAdvertisement(h.next());
        assertEquals(2, h.counter(Counter.NDP_ROUTER_ADVERTISEMENTS));
    }

    @Test
    void advertisementsRepeatSoTheGuestsRouteAndAddressNeverExpire() {
        assertRouterAdvertisement(h.next());
        h.advance(Duration.ofMinutes(10));
        assertRouterAdvertisement(h.next());
    }

    @Test
    void neighborSolicitationsForTheStacksAddressesAreAnswered() {
        h.next();
        for (byte[] target : List.of(GATEWAY, DNS, GATEWAY_LINK_LOCAL)) {
            h.send(multicastFrame(solicitedNode(target), neighborSolicitation(GUEST, solicitedNode(target), target)));
            Parsed f = h.next();
            Ipv6Parsed na = new Ipv6Parsed(f);
            assertEquals(TestFrames.GUEST_MAC, f.ethDst());
            assertEquals(255, na.hopLimit());
            assertArrayEquals(target, na.src());
            assertArrayEquals(GUEST, na.dst());
            ByteBuffer m = ByteBuffer.wrap(na.l4());
            assertEquals(136, m.get(0) & 0xff);
            assertEquals(0xe0, m.get(4) & 0xff, "router, solicited, override");
            assertArrayEquals(target, Arrays.copyOfRange(m.array(), 8, 24));
            assertEquals(2, m.get(24), "target link-layer address option");
            assertEquals(TestFrames.STACK_MAC,
                    ((long) (m.getShort(26) & 0xffff) << 32) | (m.getInt(28) & 0xffffffffL));
        }
        assertEquals(3, h.counter(Counter.NDP_NEIGHBOR_ADVERTISEMENTS));
    }

    @Test
    void theGuestsDuplicateAddressDetectionFindsNoDuplicate() {
        h.next();
        h.send(multicastFrame(solicitedNode(GUEST), neighborSolicitation(UNSPECIFIED, solicitedNode(GUEST), GUEST)));
        h.expectNothing(200);
        assertEquals(1, h.counter(Counter.NDP_NOT_OURS));
    }

    @Test
    void solicitationsThatMayHaveBeenRoutedOrAreMalformedAreDropped() {
        h.next();
        byte[] routed = neighborSolicitation(GUEST, solicitedNode(GATEWAY), GATEWAY);
        routed[7] = 64;
        h.send(multicastFrame(solicitedNode(GATEWAY), routed));
        // A zero-length option: the whole message is invalid (RFC 4861 7.1.1).
        byte[] body = ByteBuffer.allocate(24).put(GATEWAY).put((byte) 1).put((byte) 0).array();
        h.send(frame(icmpv6Packet(GUEST, GATEWAY, 255, 135, 0, 0, body)));
        // Duplicate address detection must not carry a source link-layer option.
        byte[] dadWithOption = ByteBuffer.allocate(24).put(GATEWAY).put((byte) 1).put((byte) 1).array();
        h.send(frame(icmpv6Packet(UNSPECIFIED, solicitedNode(GATEWAY), 255, 135, 0, 0, dadWithOption)));
        h.expectNothing(200);
        assertEquals(3, h.counter(Counter.NDP_MALFORMED));
    }

    @Test
    void echoRequestsToTheStackAreAnsweredAndToOtherHostsRefusedNotForged() {
        h.next();
        byte[] data = "ping6".getBytes();
        for (byte[] dst : List.of(GATEWAY, DNS)) {
            h.send(frame(echoRequest(GUEST, dst, 0x1234, 7, data)));
            Ipv6Parsed reply = new Ipv6Parsed(h.next());
            assertArrayEquals(dst, reply.src());
            assertArrayEquals(GUEST, reply.dst());
            ByteBuffer m = ByteBuffer.wrap(reply.l4());
            assertEquals(129, m.get(0) & 0xff);
            assertEquals(0x1234, m.getShort(4) & 0xffff);
            assertEquals(7, m.getShort(6));
            assertArrayEquals(data, Arrays.copyOfRange(m.array(), 8, m.capacity()));
        }
        // This harness's host refuses ping sockets: "administratively prohibited", never a forged reply.
        byte[] request = echoRequest(GUEST, OUTSIDE, 1, 1, data);
        h.send(frame(request));
        assertUnreachable(h.next(), 1, request);
        assertEquals(1, h.counter(Counter.ICMP_ECHO_NOT_PERMITTED));
        // Nobody else lives in fd00::/64: "address unreachable".
        byte[] nobody = echoRequest(GUEST, Ipv6Frames.addr(0xfd00_0000_0000_0000L, 9), 1, 2, data);
        h.send(frame(nobody));
        assertUnreachable(h.next(), 3, nobody);
        assertEquals(2, h.counter(Counter.ICMPV6_ECHO_REPLIES));
    }

    /** A destination unreachable from the gateway that quotes {@code offending} whole. */
    private static void assertUnreachable(Parsed f, int code, byte[] offending) {
        Ipv6Parsed e = new Ipv6Parsed(f);
        assertArrayEquals(GATEWAY, e.src());
        assertArrayEquals(GUEST, e.dst());
        byte[] m = e.l4();
        assertEquals(1, m[0]);
        assertEquals(code, m[1]);
        assertArrayEquals(offending, Arrays.copyOfRange(m, 8, m.length));
    }

    @Test
    void udpToNobodyIsRefusedAndMalformedUdpDropped() {
        h.next();
        h.send(Ipv6Frames.udp(GUEST, 5353, Ipv6Frames.addr(0xfd00_0000_0000_0000L, 9), 53, new byte[4]));
        h.send(multicastFrame(ALL_NODES, Ipv6Frames.udpPacket(GUEST, 5353, ALL_NODES, 5353, new byte[4])));
        h.send(frame(ipv6(GUEST, GATEWAY, 17, 64, new byte[12])));
        byte[] noChecksum = Ipv6Frames.udp(GUEST, 5353, OUTSIDE, 53, new byte[4]);
        noChecksum[14 + 40 + 6] = 0;
        noChecksum[14 + 40 + 7] = 0;
        h.send(noChecksum);
        h.expectNothing(200);
        assertEquals(2, h.counter(Counter.UDP_REFUSED));
        assertEquals(1, h.counter(Counter.UDP_MALFORMED));
        assertEquals(1, h.counter(Counter.UDP_BAD_CHECKSUM), "the UDP checksum is mandatory over IPv6");
    }

    @Test
    void errorsQuoteNoMoreThanFitsTheMinimumMtu() {
        h.next();
        byte[] big = echoRequest(GUEST, OUTSIDE, 1, 1, new byte[1400]);
        h.send(frame(big));
        Ipv6Parsed e = new Ipv6Parsed(h.next());
        assertEquals(1280, 40 + e.l4().length);
    }

    /** Destination options of {@code length} 8-byte units after the first, followed by {@code next}. */
    private static byte[] options(int next, int units) {
        byte[] o = new byte[units * 8];
        o[0] = (byte) next;
        o[1] = (byte) (units - 1);
        o[2] = 1;
        o[3] = (byte) (units * 8 - 4);
        return o;
    }

    private static byte[] chain(int headers, int first) {
        byte[] icmp = Ipv6Frames.icmpv6(GUEST, GATEWAY, 128, 0, 0, new byte[0]);
        ByteBuffer b = ByteBuffer.allocate(headers * 8 + icmp.length);
        for (int i = 0; i < headers; i++) {
            b.put(options(i == headers - 1 ? 58 : 60, 1));
        }
        return ipv6(GUEST, GATEWAY, first, 64, b.put(icmp).array());
    }

    @Test
    void extensionHeadersAreWalkedWithinTheirBound() {
        h.next();
        h.send(frame(chain(3, 60)));
        assertEquals(129, new Ipv6Parsed(h.next()).l4()[0] & 0xff, "echo reply behind three option headers");
        h.send(frame(chain(9, 60)));
        // Hop-by-hop options only directly after the fixed header.
        byte[] misplaced = chain(2, 60);
        misplaced[40] = 0;
        h.send(frame(misplaced));
        // A header that claims more than the payload holds.
        byte[] truncated = chain(1, 60);
        truncated[41] = 50;
        h.send(frame(truncated));
        // A routing header with segments left is a source route through us: not ours to follow.
        byte[] routing = chain(1, 43);
        routing[43] = 1;
        h.send(frame(routing));
        h.expectNothing(200);
        assertEquals(4, h.counter(Counter.IPV6_BAD_EXTENSION_HEADERS));
    }

    @Test
    void hostilePayloadLengthsAndFragmentsAreCountedAndDropped() {
        h.next();
        byte[] jumbo = echoRequest(GUEST, GATEWAY, 1, 1, new byte[8]);
        jumbo[4] = 0;
        jumbo[5] = 0;
        h.send(frame(jumbo));
        byte[] longer = echoRequest(GUEST, GATEWAY, 1, 1, new byte[8]);
        longer[4] = 0x7f;
        h.send(frame(longer));
        byte[] fragment = ipv6(GUEST, GATEWAY, 44, 64, new byte[] {58, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0});
        h.send(frame(fragment));
        h.send(frame(Arrays.copyOf(echoRequest(GUEST, GATEWAY, 1, 1, new byte[0]), 30)));
        byte[] multicastSource = echoRequest(ALL_NODES, GATEWAY, 1, 1, new byte[0]);
        h.send(frame(multicastSource));
        h.expectNothing(200);
        assertEquals(1, h.counter(Counter.IPV6_BAD_PAYLOAD_LENGTH));
        assertEquals(2, h.counter(Counter.IP_TRUNCATED));
        assertEquals(1, h.counter(Counter.IP_FRAGMENTS_DROPPED), "a fragment with more to come is 8-byte aligned");
        assertEquals(1, h.counter(Counter.IP_BAD_SOURCE));
    }

    /** A fragment of the upper-layer bytes {@code whole[offset, offset+length)} behind a fragment header. */
    private static byte[] fragment(int id, int next, byte[] whole, int offset, int length, boolean more) {
        ByteBuffer b = ByteBuffer.allocate(8 + length).put((byte) next).put((byte) 0)
                .putShort((short) (offset | (more ? 1 : 0))).putInt(id).put(whole, offset, length);
        return frame(ipv6(GUEST, GATEWAY, 44, 64, b.array()));
    }

    @Test
    void fragmentsAreReassembledWithinTheirBounds() {
        h.next();
        byte[] data = "sixteen bytes!!!".getBytes();
        byte[] icmp = Ipv6Frames.icmpv6(GUEST, GATEWAY, 128, 0, (0x77 << 16) | 1, data);
        // Out of order: the last fragment first.
        h.send(fragment(5, 58, icmp, 16, 8, false));
        h.expectNothing(100);
        h.send(fragment(5, 58, icmp, 0, 16, true));
        Ipv6Parsed reply = new Ipv6Parsed(h.next());
        byte[] m = reply.l4();
        assertEquals(129, m[0] & 0xff);
        assertArrayEquals(data, Arrays.copyOfRange(m, 8, m.length));
        assertEquals(1, h.counter(Counter.IP_REASSEMBLED));

        // Overlapping fragments drop the whole packet (RFC 5722).
        h.send(fragment(6, 58, icmp, 0, 16, true));
        h.send(fragment(6, 58, icmp, 8, 16, false));
        h.expectNothing(100);
        assertEquals(2, h.counter(Counter.IP_FRAGMENTS_DROPPED));

        // A packet that is still a fragment once reassembled is not taken apart again.
        byte[] inner = ByteBuffer.allocate(8 + icmp.length).put((byte) 58).put((byte) 0).putShort((short) 0)
                .putInt(9).put(icmp).array();
        h.send(fragment(7, 44, inner, 0, inner.length, false));
        h.expectNothing(100);
        assertEquals(1, h.counter(Counter.IPV6_BAD_EXTENSION_HEADERS));

        // A packet whose other fragments never come is dropped after the reassembly timeout.
        h.send(fragment(8, 58, icmp, 0, 16, true));
        h.advance(Duration.ofSeconds(31));
        h.send(fragment(8, 58, icmp, 16, 8, false));
        h.expectNothing(100);
        assertEquals(3, h.counter(Counter.IP_FRAGMENTS_DROPPED));
    }

    @Test
    void badChecksumsAreDropped() {
        h.next();
        byte[] request = echoRequest(GUEST, GATEWAY, 1, 1, new byte[4]);
        request[request.length - 1] ^= 1;
        h.send(frame(request));
        h.expectNothing(200);
        assertEquals(1, h.counter(Counter.ICMPV6_MALFORMED));
    }

    @Test
    void withoutIpv6TheStackIgnoresIpv6Frames() {
        StackHarness v4 = stacks.harness(TestConfig.defaults().mtu(MTU).build());
        try {
            v4.send(frame(echoRequest(GUEST, GATEWAY, 1, 1, new byte[0])));
            v4.expectNothing(200);
            assertEquals(1, v4.counter(Counter.ETH_UNSUPPORTED_TYPE));
        } finally {
            v4.close();
        }
    }

    @Test
    void ipv6NeedsItsMinimumMtu() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new UsernetConfig("10.0.2.0/24", 1000, false, List.of(), null, true));
        assertEquals("IPv6 needs an MTU of at least 1280, not 1000", e.getMessage());
    }
}
