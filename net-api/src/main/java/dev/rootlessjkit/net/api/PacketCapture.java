package dev.rootlessjkit.net.api;

import java.io.IOException;

/**
 * A network driver that sees the namespace's frames (usernet) can copy them to a reader as pcap records, for
 * {@code rootlessjctl capture}. Costs the data path one volatile read per frame while nobody captures.
 */
@FunctionalInterface
public interface PacketCapture {
    /** Captures running at once at most: each copies every frame it matches. */
    int MAX_CAPTURES = 4;

    /**
     * Starts copying frames to {@code target}: every frame, or only TCP and UDP with {@code port} as source or
     * destination port when it is not 0, each cut to {@code snapLength} bytes. Closing the handle stops it.
     *
     * @throws IOException when no capture can start now (the network is not up, or too many captures run)
     */
    AutoCloseable start(int port, int snapLength, Target target) throws IOException;

    /** Where records go. Called on the network's own thread, so neither method may block. */
    interface Target {
        /** Whether a record would be taken now; when not, the record is dropped (the reader is too slow). */
        boolean ready();

        /** Takes one record; {@link Pcap#fileHeader} went before the first. */
        void write(byte[] record);
    }
}
