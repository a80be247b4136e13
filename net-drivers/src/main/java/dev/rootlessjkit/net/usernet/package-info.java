/**
 * usernet: a user-mode TCP/IP stack that terminates the child's TAP device inside the parent JVM.
 *
 * <p>{@link dev.rootlessjkit.net.usernet.UsernetNetwork#start} runs it on one Netty epoll loop over a blocking TAP
 * fd. Open that fd with IFF_VNET_HDR and set TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6 ({@code dev.rootlessjkit.linux.Tap}): the guest
 * then sends and takes TCP segments of up to 64 KiB without checksums, which is most of the stack's speed at MTU
 * 1500. The parent JVM needs the C2 compiler for it (C1 alone cost ~40% of host-to-guest throughput).
 * {@code hack/benchmark-usernet.sh} measures the stack against slirp4netns and pasta.
 *
 * <p>Published ports ({@code --port-driver=usernet}): {@link dev.rootlessjkit.net.usernet.UsernetStack#publishTcp}
 * and {@code publishUdp} listen on the host and the stack opens each connection into the guest itself (TCP from
 * SYN-SENT in the same {@code TcpFlow} machinery), from the client's address as
 * {@link dev.rootlessjkit.net.usernet.stack.Destinations#guestVisibleClient} maps it: loopback, IPv6 and
 * guest-network clients appear as the gateway, others as themselves; {@code publishTcp6}/{@code publishUdp6} do the
 * same into the guest's IPv6 address, where IPv6 clients keep their own.
 *
 * <p>IPv6 ({@code --ipv6}): the guest network is fd00::/64 (see {@link dev.rootlessjkit.net.usernet.Ipv6Address});
 * Neighbor Discovery and router advertisements come from {@code stack.NdpResponder}; TCP and UDP flows carry their
 * IP ends as a {@link dev.rootlessjkit.net.usernet.stack.IpPair}, so both families share one NAT and one TCP state
 * machine.
 */
package dev.rootlessjkit.net.usernet;
