package dev.rootlessjkit.linux;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Java streams over raw descriptors such as the handshake pipes. Reopening /proc/self/fd/N instead would
 * go through FIFO open semantics and block forever if the other side were already gone.
 */
public final class FdStreams {
    private FdStreams() {
    }

    public static InputStream input(Linux linux, int fd) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                final byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                final byte[] chunk = off == 0 ? buf : new byte[len];
                final int n = linux.read(fd, chunk, len);
                if (n <= 0) {
                    return -1;
                }
                if (chunk != buf) {
                    System.arraycopy(chunk, 0, buf, off, n);
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                linux.close(fd);
            }
        };
    }

    public static OutputStream output(Linux linux, int fd) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] buf, int off, int len) throws IOException {
                byte[] rest = off == 0 && len == buf.length ? buf : Arrays.copyOfRange(buf, off, off + len);
                while (rest.length > 0) {
                    final int n = linux.write(fd, rest, rest.length);
                    rest = Arrays.copyOfRange(rest, n, rest.length);
                }
            }

            @Override
            public void close() throws IOException {
                linux.close(fd);
            }
        };
    }
}
