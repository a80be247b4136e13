package dev.rootlessjkit.net.usernet;

import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.InternetProtocolFamily;

/**
 * Opens the stack's host sockets; behind an interface so that tests can stand in for a process out of descriptors.
 * Both methods throw {@link io.netty.channel.ChannelException} when no socket can be had (EMFILE, ENFILE, ENOBUFS).
 */
public interface HostSockets {
    HostSockets EPOLL = new HostSockets() {
        @Override
        public EpollSocketChannel tcp() {
            return new EpollSocketChannel();
        }

        @Override
        public EpollDatagramChannel udp() {
            return new EpollDatagramChannel(InternetProtocolFamily.IPv4);
        }
    };

    EpollSocketChannel tcp();

    EpollDatagramChannel udp();
}
