package dev.rootlessjkit.parent;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.PacketCapture;
import dev.rootlessjkit.parent.api.ApiServer;
import dev.rootlessjkit.parent.api.Info;
import dev.rootlessjkit.port.ParentPortDriver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * The API server, started on a thread of its own while the child JVM boots: Netty's start-up costs a few hundred
 * milliseconds of a cold JVM, which CMD would otherwise wait for. It serves under a temporary name until
 * {@link #publishAs} gives it its real one.
 */
final class EarlyApi implements AutoCloseable {
    private final CompletableFuture<ApiServer> server;

    private EarlyApi(CompletableFuture<ApiServer> server) {
        this.server = server;
    }

    static EarlyApi start(Path temporary, Supplier<Info> info, ParentPortDriver ports, PacketCapture capture,
            Log log) {
        final CompletableFuture<ApiServer> server = new CompletableFuture<>();
        final Thread starter = new Thread(() -> {
            try {
                server.complete(ApiServer.start(temporary, info, ports, capture, log));
            } catch (IOException | RuntimeException e) {
                server.completeExceptionally(e);
            }
        }, "rootlessjkit-api-start");
        starter.setDaemon(true);
        starter.start();
        return new EarlyApi(server);
    }

    /** Waits for the server to run, then moves its socket to {@code name}. */
    void publishAs(Path name) throws ParentException {
        try {
            server().publishAs(name);
        } catch (IOException e) {
            throw new ParentException("cannot publish the API socket as " + name + ": " + e.getMessage(), e);
        }
    }

    private ApiServer server() throws ParentException {
        try {
            return server.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ParentException("interrupted while starting the API server", e);
        } catch (ExecutionException e) {
            throw new ParentException(e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public void close() {
        try {
            server().close();
        } catch (ParentException e) {
            // It never ran: there is nothing to close.
        }
    }
}
