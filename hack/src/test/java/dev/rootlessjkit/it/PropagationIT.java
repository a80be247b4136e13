package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * --propagation: whether a mount made on the host after start shows up in the child's mount namespace
 * (RootlessKit's hack/integration-propagation.sh). The test makes its own shared mount for the host side instead
 * of relying on the host's / being shared (it is private on some machines), so every case runs everywhere: the
 * child's copy of a shared mount is a slave of it (a less privileged namespace), rslave/rshared keep it receiving,
 * rprivate (the default) cuts it off.
 */
class PropagationIT {

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    static Stream<Arguments> modes() {
        return Stream.of(
                Arguments.of(List.of(), false),
                Arguments.of(List.of("--propagation=rprivate"), false),
                Arguments.of(List.of("--propagation=rslave"), true),
                Arguments.of(List.of("--propagation=rshared"), true));
    }

    @ParameterizedTest(name = "{0} sees host mounts: {1}")
    @MethodSource("modes")
    void hostMountReachesChildOnlyWhenPropagationAllows(List<String> flags, boolean visible) {
        final Workspace workspace = sandbox.workspace();
        final Path shared = workspace.mkdir("shared");
        Host.asRoot("mount", "--bind", shared.toString(), shared.toString());
        Host.asRoot("mount", "--make-shared", shared.toString());
        final Path target = workspace.mkdir("shared/a");
        workspace.ownerShell("touch shared/a/before_mount");
        final Path state = workspace.path().resolve("state");
        final Path ready = workspace.path().resolve("ready");

        final List<String> args = new ArrayList<>(List.of("--state-dir=" + state));
        args.addAll(flags);
        // The command starts only after the child has set propagation up, so the marker ends the race.
        args.addAll(List.of("sh", "-c", "touch \"$0\" && exec sleep 100", ready.toString()));
        try (Running running = sandbox.rootless().launch(args.toArray(String[]::new)).start()) {
            running.awaitFile(ready);
            final long childPid = running.awaitPid(state.resolve("child_pid"));
            Host.asRoot("mount", "-t", "tmpfs", "-o", "size=1m", "rjit-propagation", target.toString());
            try {
                Host.asRoot("touch", target.resolve("after_mount").toString());
                final Path seen = Path.of("/proc/" + childPid + "/root" + target);
                final List<String> expected = visible ? List.of("after_mount") : List.of("before_mount");
                assertEquals(expected, Workspace.list(seen), () -> "child's view of " + target + " with " + flags
                        + "\n" + running.partialOutput());
            } finally {
                Host.asRoot("umount", target.toString());
            }
        } finally {
            Host.asRoot("umount", shared.toString());
        }
    }
}
