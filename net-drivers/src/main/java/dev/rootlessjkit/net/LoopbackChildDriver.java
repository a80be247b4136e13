package dev.rootlessjkit.net;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.api.NetworkDriverException;

/** --net=none's child half: a namespace with lo alone, brought up. */
final class LoopbackChildDriver implements ChildNetworkDriver {
    private final ChildNetworkContext context;

    LoopbackChildDriver(ChildNetworkContext context) {
        this.context = context;
    }

    @Override
    public void configure(NetworkConfig config) throws NetworkDriverException {
        context.inNetworkNamespace("bring up lo", () -> {
            bringUp(context.linux());
            return null;
        });
    }

    /** A new network namespace starts with lo down; servers the port drivers reach listen there. */
    static void bringUp(Linux linux) throws NetworkDriverException {
        try {
            linux.bringUp("lo");
        } catch (ErrnoException e) {
            throw new NetworkDriverException("failed to bring up the loopback interface: " + e.getMessage(), e);
        }
    }
}
