package dev.rootlessjkit.net;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Mounts;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;

/**
 * {@code /etc/resolv.conf} and {@code /etc/hosts} of a child with a network of its own: the host's name server
 * (often 127.0.0.53) means nothing there, so every driver with an interface writes its own DNS address into
 * {@code $STATE/resolv.conf}, and the host's hosts file plus the host name into {@code $STATE/hosts}, and mounts
 * both over /etc. The files live in the state dir, so a host that rewrites its /etc/resolv.conf cannot change
 * what the namespace sees (RootlessKit #4, #5).
 */
public final class EtcFiles {
    public static final String RESOLV_CONF = "resolv.conf";
    public static final String HOSTS = "hosts";
    private static final Path ETC = Path.of("/etc");

    private EtcFiles() {
    }

    /** One {@code nameserver} line per address, nothing else (as RootlessKit). */
    public static String resolvConf(List<String> nameservers) {
        final StringBuilder text = new StringBuilder();
        for (String nameserver : nameservers) {
            text.append("nameserver ").append(nameserver).append('\n');
        }
        return text.toString();
    }

    /**
     * The host's hosts file followed by {@code 127.0.0.1 HOSTNAME} and {@code ::1 HOSTNAME}, each only when no
     * line of the host's file already maps that address to that name.
     */
    public static String hosts(String hostHosts, String hostname) {
        final StringBuilder text = new StringBuilder(hostHosts);
        if (text.length() > 0 && text.charAt(text.length() - 1) != '\n') {
            text.append('\n');
        }
        for (String address : List.of("127.0.0.1", "::1")) {
            if (!maps(hostHosts, address, hostname)) {
                text.append(address).append(' ').append(hostname).append('\n');
            }
        }
        return text.toString();
    }

    private static boolean maps(String hosts, String address, String hostname) {
        for (String line : hosts.split("\n")) {
            final int comment = line.indexOf('#');
            final String[] fields = (comment < 0 ? line : line.substring(0, comment)).trim().split("\\s+");
            if (fields.length > 1 && fields[0].equals(address)
                    && Arrays.asList(fields).subList(1, fields.length).contains(hostname)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Writes both files to the state dir and, unless the namespace is detached (the command then keeps the
     * host's network and its files), mounts them over /etc.
     */
    public static void install(ChildNetworkContext context, List<String> nameservers) throws NetworkDriverException {
        install(context.linux(), context.log(), context.stateDir(), context.etcCopiedUp(),
                context.detachedNetns() != null, nameservers, ETC);
    }

    /** As {@link #install(ChildNetworkContext, List)}, over the files of {@code etc}. */
    static void install(Mounts mounts, Log log, Path stateDir, boolean etcCopiedUp, boolean detached,
            List<String> nameservers, Path etc) throws NetworkDriverException {
        final Path resolvConf = stateDir.resolve(RESOLV_CONF);
        final Path hosts = stateDir.resolve(HOSTS);
        final Path etcResolvConf = etc.resolve(RESOLV_CONF);
        final Path etcHosts = etc.resolve(HOSTS);
        write(hosts, hosts(readHostFile(etcHosts), hostname()));
        write(resolvConf, resolvConf(nameservers));
        if (detached) {
            return;
        }
        if (etcCopiedUp) {
            // In the copy-up tmpfs both are symlinks into the host's /etc: a bind mount would follow them and
            // land on the host's file. Plain empty files take the mounts instead.
            replaceWithEmptyFile(etcResolvConf);
            replaceWithEmptyFile(etcHosts);
        } else {
            log.warn("Mounting /etc/resolv.conf without copying-up /etc. Note that /etc/resolv.conf in the "
                    + "namespace will be unmounted when it is recreated on the host. Unless /etc/resolv.conf is "
                    + "statically configured, copying-up /etc is highly recommended. Please refer to "
                    + "RootlessKit documentation for further information.");
        }
        bindMount(mounts, resolvConf, etcResolvConf);
        bindMount(mounts, hosts, etcHosts);
    }

    private static String readHostFile(Path path) throws NetworkDriverException {
        try {
            return Files.exists(path) ? Files.readString(path, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new NetworkDriverException("failed to read " + path + ": " + e, e);
        }
    }

    private static String hostname() throws NetworkDriverException {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new NetworkDriverException("failed to read the host name: " + e, e);
        }
    }

    private static void write(Path path, String content) throws NetworkDriverException {
        try {
            Files.deleteIfExists(path);
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            Files.writeString(path, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new NetworkDriverException("failed to write " + path + ": " + e, e);
        }
    }

    private static void replaceWithEmptyFile(Path path) throws NetworkDriverException {
        try {
            Files.deleteIfExists(path);
            Files.createFile(path);
        } catch (IOException e) {
            throw new NetworkDriverException("failed to replace " + path + " in the copied-up /etc: " + e, e);
        }
    }

    private static void bindMount(Mounts mounts, Path source, Path target) throws NetworkDriverException {
        try {
            mounts.mount(source.toString(), target.toString(), null, Linux.MS_BIND, null);
        } catch (ErrnoException e) {
            throw new NetworkDriverException("failed to mount " + source + " on " + target + ": " + e.getMessage(), e);
        }
    }
}
