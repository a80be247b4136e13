/**
 * usernet: a user-mode TCP/IP stack that terminates the child's TAP device inside the parent JVM.
 *
 * <p>{@link dev.rootlessjkit.net.usernet.UsernetNetwork#start} runs it on one Netty epoll loop over a blocking TAP
 * fd. Open that fd with IFF_VNET_HDR and set TUN_F_CSUM|TUN_F_TSO4 ({@code dev.rootlessjkit.linux.Tap}): the guest
 * then sends and takes TCP segments of up to 64 KiB without checksums, which is most of the stack's speed at MTU
 * 1500. The parent JVM needs the C2 compiler for it (C1 alone cost ~40% of host-to-guest throughput).
 * {@code hack/benchmark-usernet.sh} measures the stack against slirp4netns and pasta.
 */
package dev.rootlessjkit.net.usernet;
