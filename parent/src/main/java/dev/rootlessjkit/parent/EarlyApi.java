package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.PacketCapture;
import dev.rootlessjkit.parent.api.ApiServer;
import dev.rootlessjkit.parent.api.Info;
import dev.rootlessjkit.port.ParentPortDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * The API server, on demand. Its socket listens from the start (made on a thread of its own while the child JVM
 * boots), under a temporary name until {@link #publishAs} gives it its real one; but Netty, whose start-up costs
 * a cold JVM a few hundred milliseconds of CPU that the two JVMs' own start-up needs on a small machine, starts
 * only when the first client connects. That client waits in the backlog meanwhile and is then served in full;
 * a run that no client asks anything of never pays for it.
 */
final class EarlyApi implements AutoCloseable {
    private final Linux linux;
    private final CompletableFuture<Integer> listening = new CompletableFuture<>();
    /** Closing its write end wakes the thread that waits for the first client. */
    private final int[] wake;
    private final Object lock = new Object();
    /** Where the socket file is: it moves once, when published. Guarded by {@link #lock}. */
    private Path socket;
    private ApiServer server;
    private boolean closed;

    private EarlyApi(Linux linux, Path socket, int[] wake) {
        this.linux = linux;
        this.socket = socket;
        this.wake = wake;
    }

    static EarlyApi start(Linux linux, Path temporary, Supplier<Info> info, ParentPortDriver ports,
            PacketCapture capture, Log log) throws ParentException {
        final int[] wake;
        try {
            wake = linux.pipe();
        } catch (ErrnoException e) {
            throw new ParentException("cannot start the API server: " + e.getMessage(), e);
        }
        final EarlyApi api = new EarlyApi(linux, temporary, wake);
        final Thread waiter = new Thread(() -> api.listenAndServeOnDemand(info, ports, capture, log),
                "rootlessjkit-api-start");
        waiter.setDaemon(true);
        waiter.start();
        return api;
    }

    private void listenAndServeOnDemand(Supplier<Info> info, ParentPortDriver ports, PacketCapture capture,
            Log log) {
        final int fd;
        try {
            fd = ApiServer.listen(socket());
        } catch (IOException | RuntimeException e) {
            listening.completeExceptionally(e);
            closeQuietly(wake[0]);
            return;
        }
        listening.complete(fd);
        boolean handedOver = false;
        try {
            if (linux.awaitAnyReadable(-1, fd, wake[0]) == 0) {
                synchronized (lock) {
                    if (!closed) {
                        server = ApiServer.serve(socket, fd, info, ports, capture, log);
                        handedOver = true;
                        log.debug("API server started for its first client");
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            log.error("API server: " + e.getMessage());
        } finally {
            if (!handedOver) {
                closeQuietly(fd);
                synchronized (lock) {
                    if (closed) {
                        // Closed while the socket was being made: its file would outlive the run.
                        deleteSocketFile();
                    }
                }
            }
            closeQuietly(wake[0]);
        }
    }

    private Path socket() {
        synchronized (lock) {
            return socket;
        }
    }

    /** Waits for the socket to listen, then moves it to {@code name}. */
    void publishAs(Path name) throws ParentException {
        try {
            listening.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ParentException("interrupted while starting the API server", e);
        } catch (ExecutionException e) {
            throw new ParentException(e.getCause().getMessage(), e.getCause());
        }
        try {
            synchronized (lock) {
                if (server != null) {
                    server.publishAs(name);
                } else {
                    Files.move(socket, name, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
                socket = name;
            }
        } catch (IOException e) {
            throw new ParentException("cannot publish the API socket as " + name + ": " + e.getMessage(), e);
        }
    }

    /** Stops serving (or waiting for a first client) and removes the socket file. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (server != null) {
                server.close();
            } else {
                deleteSocketFile();
            }
        }
        closeQuietly(wake[1]);
    }

    private void deleteSocketFile() {
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // The state directory is removed (or reused, replacing the file) anyway.
        }
    }

    private void closeQuietly(int fd) {
        try {
            linux.close(fd);
        } catch (ErrnoException e) {
            // Closed already: nothing leaks.
        }
    }
}
