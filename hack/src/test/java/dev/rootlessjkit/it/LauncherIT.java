package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The launcher as a user meets it: the JDK it runs (JAVA_HOME first, else the newest one installed), the same JDK
 * for the child JVM, no JVM warning on the terminal with either JDK, and a child JVM without Netty on its class path.
 * Each run goes through both JVMs, jffi's native library, Netty (usernet) and the API server: everything that
 * made JDK 25 print restricted-method and sun.misc.Unsafe notices.
 */
class LauncherIT {

    private static final Path JVM_DIR = Path.of("/usr/lib/jvm");

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    /** JDK 17 (the floor) and the newest JDK installed: the two paths the launcher takes. */
    static Stream<Path> jdks() {
        final List<Path> installed = installedJdks();
        final Path jdk17 = installed.stream().filter(jdk -> majorVersion(jdk) == 17).findFirst()
                .orElseThrow(() -> new AssertionError("no JDK 17 under " + JVM_DIR + " (hack/ci-setup.sh installs it)"));
        return Stream.of(jdk17, installed.get(installed.size() - 1)).distinct();
    }

    @ParameterizedTest
    @MethodSource("jdks")
    void runsWithTheJdkOfJavaHomeInBothJvmsAndPrintsNoWarning(Path jdk) throws IOException {
        final int port = Ports.freeTcpPort();
        // With --pidns the child JVM stays as PID 1 of the namespace: its command line is /proc/1/cmdline there.
        // The two flags that RootlessKit recommends with a warning are given, so any output is the JVMs'.
        final Result result = sandbox.rootless().launch("--pidns", "--net=usernet", "--port-driver=usernet",
                        "--disable-host-loopback", "--copy-up=/etc", "-p", "127.0.0.1:" + port + ":80/tcp", "sh", "-c", "tr '\\0' '\\n' < /proc/1/cmdline")
                .env("JAVA_HOME", jdk.toString()).run();
        assertEquals(0, result.exitCode(), result::describe);
        assertEquals("", result.stderr(), () -> "the launcher printed on stderr\n" + result.describe());
        final List<String> childCommand = result.stdoutLines();
        assertEquals(jdk.toRealPath().resolve("bin/java").toString(), childCommand.get(0),
                () -> "the child JVM runs another JDK than JAVA_HOME\n" + result.describe());
        final String classPath = childCommand.get(childCommand.indexOf("-cp") + 1);
        assertTrue(classPath.contains("rootlessjkit-child-"), () -> "no child jar in " + classPath);
        assertFalse(classPath.contains("netty"), () -> "the child JVM's class path holds Netty: " + classPath);
    }

    /**
     * usernet's parent runs Netty, and the parent of a network run by a program of its own the builtin port driver:
     * each has an archive of its own, which the launcher picks by the words.
     */
    @Test
    void theParentArchiveFollowsTheNetworkNamedOnTheCommandLine() {
        for (List<String> words : List.<List<String>>of(List.of("--net=usernet"), List.of("-net", "gvisor-tap-vsock"),
                List.of("--net", "slirp4netns", "--port-driver=builtin"), List.of())) {
            final List<String> args = new ArrayList<>(List.of("--debug"));
            args.addAll(words);
            args.add("true");
            final Result result = sandbox.rootless().launch(args.toArray(String[]::new)).run();
            assertEquals(0, result.exitCode(), result::describe);
            final String archive = words.isEmpty() ? "/parent."
                    : words.contains("slirp4netns") ? "/parent-network." : "/parent-usernet.";
            assertTrue(result.stderr().lines().anyMatch(line -> line.contains("start-up archives: ")
                    && line.contains(archive)), () -> "no " + archive + " archive for " + words + "\n"
                            + result.describe());
        }
    }

    @Test
    void withoutJavaHomeTheNewestJdkRuns() throws IOException {
        final List<Path> installed = installedJdks();
        final Result result = sandbox.rootless().launch("--pidns", "sh", "-c", "tr '\\0' '\\n' < /proc/1/cmdline")
                .env("JAVA_HOME", "").run();
        assertEquals(0, result.exitCode(), result::describe);
        assertEquals("", result.stderr(), result::describe);
        final int newest = majorVersion(installed.get(installed.size() - 1));
        final Path used = Path.of(result.stdoutLines().get(0)).getParent().getParent();
        assertEquals(newest, majorVersion(used), () -> "the child ran " + used + ", not the newest JDK\n"
                + result.describe());
    }

    @Test
    void aJavaHomeWithoutJavaIsAOneLineError() {
        final Path notAJdk = sandbox.workspace().mkdir("not-a-jdk");
        final Result result = sandbox.rootless().launch("true").env("JAVA_HOME", notAJdk.toString()).run();
        assertEquals(1, result.exitCode(), result::describe);
        Expect.oneLineError(result);
        Expect.contains("JAVA_HOME=" + notAJdk, result.stderr(), result);
    }

    /**
     * The launcher reads a JDK's two keys wherever they stand in its release file, and stops reading at the second:
     * the JDK's major version picks the flags, its runtime version names the directory of its start-up archives.
     */
    @Test
    void theJdkIsKnownByItsReleaseFileWhateverTheOrderOfItsLines() throws IOException {
        final Path realJava = installedJdks().get(installedJdks().size() - 1).resolve("bin/java");
        final Path jdk = sandbox.workspace().mkdir("jdk-99");
        Files.createDirectories(jdk.resolve("bin"));
        Files.createSymbolicLink(jdk.resolve("bin/java"), realJava);
        Files.writeString(jdk.resolve("release"), String.join("\n", "IMPLEMENTOR=\"Test\"",
                "JAVA_RUNTIME_VERSION=\"99.0.1+7\"", "OS_NAME=\"Linux\"", "JAVA_VERSION=\"99.0.1\"",
                "JAVA_VERSION=\"11\"", "MODULES=\"java.base\"", ""));
        final Map<String, String> described = describe(jdk);
        assertEquals("99", described.get("jdk_major"), described::toString);
        assertTrue(described.get("archive_dir").endsWith("/archives/99.0.1+7"), described::toString);
        assertEquals("aot", described.get("archive_kind"), described::toString);

        // Without a runtime version there is no archive directory to trust: the launcher says so and runs without.
        Files.writeString(jdk.resolve("release"), "JAVA_VERSION=\"21.0.2\"\n");
        final Map<String, String> withoutId = describe(jdk);
        assertEquals("21", withoutId.get("jdk_major"), withoutId::toString);
        assertEquals("", withoutId.get("archive_dir"), withoutId::toString);
        assertTrue(withoutId.get("archives").contains("no release file naming its build"), withoutId::toString);
    }

    /** What the launcher would run with JAVA_HOME=jdk, as its key=value lines. */
    private Map<String, String> describe(Path jdk) {
        final Result result = sandbox.rootless().launch().env("JAVA_HOME", jdk.toString())
                .env("_ROOTLESSJKIT_DESCRIBE", "1").run();
        assertEquals(0, result.exitCode(), result::describe);
        final Map<String, String> fields = new java.util.HashMap<>();
        for (String line : result.stdoutLines()) {
            final int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return fields;
    }

    /** JDKs 17 and newer under /usr/lib/jvm, oldest first, each once (the Debian alias links resolved). */
    private static List<Path> installedJdks() {
        try (Stream<Path> entries = Files.list(JVM_DIR)) {
            final List<Path> jdks = entries.filter(dir -> Files.isExecutable(dir.resolve("bin/java")))
                    .map(LauncherIT::realPath).distinct().filter(jdk -> majorVersion(jdk) >= 17)
                    .sorted(Comparator.comparingInt(LauncherIT::majorVersion)).toList();
            if (jdks.isEmpty()) {
                throw new AssertionError("no JDK 17 or newer under " + JVM_DIR);
            }
            return jdks;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int majorVersion(Path jdk) {
        try {
            final Map<String, String> release = new java.util.HashMap<>();
            for (String line : Files.readAllLines(jdk.resolve("release"))) {
                final int eq = line.indexOf('=');
                if (eq > 0) {
                    release.put(line.substring(0, eq), line.substring(eq + 1).replace("\"", ""));
                }
            }
            return Integer.parseInt(release.getOrDefault("JAVA_VERSION", "0").split("[^0-9]")[0]);
        } catch (IOException e) {
            return 0;
        }
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
