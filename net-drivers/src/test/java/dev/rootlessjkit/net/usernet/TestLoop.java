package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.net.usernet.icmp.EchoSockets;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollEventLoopGroup;
import java.util.concurrent.TimeUnit;

/** One epoll event loop for a test class, as the stack runs in production. */
final class TestLoop implements AutoCloseable {
    private final EpollEventLoopGroup group = new EpollEventLoopGroup(1);

    EventLoop loop() {
        return group.next();
    }

    StackHarness harness() {
        return new StackHarness(loop(), TestConfig.defaults().build());
    }

    StackHarness harness(UsernetConfig config) {
        return new StackHarness(loop(), config);
    }

    StackHarness harness(UsernetConfig config, EchoSockets echoSockets) {
        return new StackHarness(loop(), config, echoSockets);
    }

    /** A harness whose host TCP and UDP sockets come from {@code hostSockets}. */
    StackHarness harness(UsernetConfig config, HostSockets hostSockets) {
        return new StackHarness(loop(), config, () -> {
            throw new java.io.IOException("ping sockets are off in this test");
        }, hostSockets);
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
