package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.net.usernet.icmp.EchoSockets;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The stack tests' lifecycle, registered as {@code @RegisterExtension static final UsernetStacks stacks}: one epoll
 * loop for the test class, and every harness a test made closed after it (after the class's own
 * {@code @AfterEach}, so clients a test opened are closed before the stack under them).
 */
final class UsernetStacks implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
    private final List<StackHarness> opened = new ArrayList<>();
    private TestLoop testLoop;

    @Override
    public void beforeAll(ExtensionContext context) {
        testLoop = new TestLoop();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        // A stack closes once; a test that closed its harness itself costs nothing here.
        opened.forEach(StackHarness::close);
        opened.clear();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        testLoop.close();
    }

    /** The class's loop, for a test that builds its harness by hand (and closes it itself). */
    EventLoop loop() {
        return testLoop.loop();
    }

    StackHarness harness() {
        return track(testLoop.harness());
    }

    StackHarness harness(UsernetConfig config) {
        return track(testLoop.harness(config));
    }

    StackHarness harness(UsernetConfig config, EchoSockets echoSockets) {
        return track(testLoop.harness(config, echoSockets));
    }

    StackHarness harness(UsernetConfig config, HostSockets hostSockets) {
        return track(testLoop.harness(config, hostSockets));
    }

    private StackHarness track(StackHarness harness) {
        opened.add(harness);
        return harness;
    }
}
