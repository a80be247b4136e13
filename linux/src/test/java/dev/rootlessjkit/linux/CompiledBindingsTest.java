package dev.rootlessjkit.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/**
 * The UDP batches switch to generated call stubs whatever -Djnr.ffi.asm.enabled says; this fails when a jnr-ffi
 * upgrade moves the internals {@link CompiledBindings} reaches for.
 */
class CompiledBindingsTest {
    @Test
    void generatesStubsThatCallLibc() {
        final DatagramLib compiled = CompiledBindings.libc(DatagramLib.class);
        assertNotNull(compiled, "jnr-ffi's internals moved: CompiledBindings must follow");
        assertFalse(Proxy.isProxyClass(compiled.getClass()), compiled.getClass().getName());
        assertEquals("Connection refused", compiled.strerror(DatagramBatch.ECONNREFUSED));
        assertEquals(-1, compiled.sendmmsg(-1, null, 0, 0));
    }
}
