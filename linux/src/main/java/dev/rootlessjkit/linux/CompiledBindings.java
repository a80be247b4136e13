package dev.rootlessjkit.linux;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * libc bindings for the UDP batches' hot path ({@link DatagramBatch}) with jnr-ffi's generated call stubs, whatever
 * {@code -Djnr.ffi.asm.enabled} says. The launcher turns generation off because it costs start-up time that a
 * run's few set-up calls do not repay; a batch makes a native call per batch of datagrams, and through reflection
 * each such call costs microseconds more and allocates (measured on the TCP relays before they moved to
 * {@link NativeCalls}: a short HTTP connection through the builtin driver took ~400 us with generated stubs,
 * ~600 us with reflection). Generating them takes 50-150 ms, which is why callers do it in the background.
 */
final class CompiledBindings {
    private CompiledBindings() {
    }

    /** The binding of {@code api} to libc with generated stubs; null when this jnr-ffi version's internals differ. */
    static <T> T libc(Class<T> api) {
        try {
            final Class<?> library = Class.forName("jnr.ffi.provider.jffi.NativeLibrary");
            final Constructor<?> open = library.getDeclaredConstructor(Collection.class, Collection.class, Map.class);
            open.setAccessible(true);
            final Class<?> generator = Class.forName("jnr.ffi.provider.jffi.AsmLibraryLoader");
            final Constructor<?> create = generator.getDeclaredConstructor();
            create.setAccessible(true);
            final Method load = generator.getDeclaredMethod("loadLibrary", library, Class.class, Map.class,
                    boolean.class);
            load.setAccessible(true);
            return api.cast(load.invoke(create.newInstance(), open.newInstance(List.of("c"), List.of(), Map.of()),
                    api, Map.of(), true));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** Generates the binding of {@code api} on a daemon thread and hands it to {@code install} when ready. */
    static <T> void inBackground(Class<T> api, Consumer<T> install) {
        final Thread t = new Thread(() -> {
            final T compiled = libc(api);
            if (compiled != null) {
                install.accept(compiled);
            }
        }, "jnr-bindings-" + api.getSimpleName());
        t.setDaemon(true);
        t.start();
    }
}
