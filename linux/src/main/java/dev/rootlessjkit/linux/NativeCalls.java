package dev.rootlessjkit.linux;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Platform;
import com.kenai.jffi.Type;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * libc functions called through jffi directly, the layer jnr-ffi is built on. {@link Linux}'s set-up calls run on
 * every launch, in both JVMs and on the way to the child's spawn and to its command; jnr-ffi's interface binding
 * costs ~40 ms to load and a few ms more per function on first call (annotation proxies, method handles), which
 * a launch's few dozen calls never repay. Here a function costs one symbol lookup and one libffi call interface,
 * made on its first call. Arguments travel as longs, narrowed by libffi to each parameter's declared type.
 */
final class NativeCalls {
    /**
     * A libc function's name and C signature. Its address and call interface are found on its first call and kept
     * here: both are the same for every caller in the process (libc is loaded once), and keeping them in the
     * constant spares each call a table lookup.
     */
    static final class Function {
        private final String name;
        private final Type result;
        private final Type[] parameters;
        /** Null until the first call; a race binds twice to the same values, which is harmless. */
        private volatile Bound bound;

        private Function(String name, Type result, Type... parameters) {
            if (parameters.length > 6) {
                throw new IllegalArgumentException(name + ": more than 6 parameters");
            }
            this.name = name;
            this.result = result;
            this.parameters = parameters;
        }

        /** A function returning int. */
        static Function ofInt(String name, Type... parameters) {
            return new Function(name, Type.SINT32, parameters);
        }

        /** A function returning a long, a pointer or ssize_t. */
        static Function ofLong(String name, Type... parameters) {
            return new Function(name, Type.SINT64, parameters);
        }

        private Bound bound() {
            final Bound known = bound;
            if (known != null) {
                return known;
            }
            final long address = Library.getDefault().getSymbolAddress(name);
            if (address == 0) {
                throw new UnsatisfiedLinkError("libc has no " + name + ": " + Library.getLastError());
            }
            final Bound made = new Bound(address, CallContext.getCallContext(result, parameters,
                    CallingConvention.DEFAULT, true));
            bound = made;
            return made;
        }
    }

    static final Type INT = Type.SINT32;
    static final Type SHORT = Type.SINT16;
    static final Type LONG = Type.SINT64;
    static final Type POINTER = Type.POINTER;

    private record Bound(long address, CallContext context) {
    }

    private final Invoker invoker = Invoker.getInstance();
    private final MemoryIO memory = MemoryIO.getInstance();

    private NativeCalls() {
    }

    /** The process's own symbols, libc's among them: the JVM is linked against it. */
    static NativeCalls load() {
        if (Platform.getPlatform().addressSize() != Long.SIZE) {
            // Pointers are written as 8 bytes here, and Linux's struct offsets are those of LP64.
            throw new UnsupportedOperationException("rootlessjkit needs a 64-bit platform, not "
                    + Platform.getPlatform().getName());
        }
        return new NativeCalls();
    }

    MemoryIO memory() {
        return memory;
    }

    // Calls {@code function} with as many arguments as it has parameters; its errno, when it sets one, is then
    // errno(). One method per arity, so that a call allocates nothing (the relays make one per splice).

    long call(Function function) {
        final Bound b = function.bound();
        return invoker.invokeL0(b.context(), b.address());
    }

    long call(Function function, long a1) {
        final Bound b = function.bound();
        return invoker.invokeL1(b.context(), b.address(), a1);
    }

    long call(Function function, long a1, long a2) {
        final Bound b = function.bound();
        return invoker.invokeL2(b.context(), b.address(), a1, a2);
    }

    long call(Function function, long a1, long a2, long a3) {
        final Bound b = function.bound();
        return invoker.invokeL3(b.context(), b.address(), a1, a2, a3);
    }

    long call(Function function, long a1, long a2, long a3, long a4) {
        final Bound b = function.bound();
        return invoker.invokeL4(b.context(), b.address(), a1, a2, a3, a4);
    }

    long call(Function function, long a1, long a2, long a3, long a4, long a5) {
        final Bound b = function.bound();
        return invoker.invokeL5(b.context(), b.address(), a1, a2, a3, a4, a5);
    }

    long call(Function function, long a1, long a2, long a3, long a4, long a5, long a6) {
        final Bound b = function.bound();
        return invoker.invokeL6(b.context(), b.address(), a1, a2, a3, a4, a5, a6);
    }

    // The same for functions returning int.

    int callInt(Function function) {
        return (int) call(function);
    }

    int callInt(Function function, long a1) {
        return (int) call(function, a1);
    }

    int callInt(Function function, long a1, long a2) {
        return (int) call(function, a1, a2);
    }

    int callInt(Function function, long a1, long a2, long a3) {
        return (int) call(function, a1, a2, a3);
    }

    int callInt(Function function, long a1, long a2, long a3, long a4) {
        return (int) call(function, a1, a2, a3, a4);
    }

    int callInt(Function function, long a1, long a2, long a3, long a4, long a5) {
        return (int) call(function, a1, a2, a3, a4, a5);
    }

    int callInt(Function function, long a1, long a2, long a3, long a4, long a5, long a6) {
        return (int) call(function, a1, a2, a3, a4, a5, a6);
    }

    /** The errno of this thread's last call made through this class. */
    int errno() {
        return LastError.getInstance().get();
    }

    /** Sets this thread's errno to 0: for the calls whose every return value is also a valid result. */
    void clearErrno() {
        LastError.getInstance().set(0);
    }

    /**
     * Native memory for the arguments of one or a few calls, freed together at {@link #close()}: C strings,
     * NULL-terminated string arrays, zeroed structs. The addresses are kept in a plain array, not a list of boxed
     * longs freed through a method reference: the builtin port driver's child half makes five scratches per
     * connection, and it runs interpreted (-Xint), where each boxing, list call and lambda costs microseconds.
     */
    final class Scratch implements AutoCloseable {
        /** A call needs one or two blocks; a string array needs one per string and grows this. */
        private long[] blocks = new long[2];
        private int count;

        /** {@code size} zeroed bytes. */
        long allocate(long size) {
            final long address = memory.allocateMemory(Math.max(1, size), true);
            if (address == 0) {
                throw new OutOfMemoryError("native memory for a system call's arguments");
            }
            if (count == blocks.length) {
                blocks = Arrays.copyOf(blocks, count * 2);
            }
            blocks[count++] = address;
            return address;
        }

        /** A NUL-terminated copy of {@code value} in UTF-8; 0 (NULL) for null. */
        long string(String value) {
            if (value == null) {
                return 0;
            }
            final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            final long address = allocate(bytes.length + 1L);
            memory.putByteArray(address, bytes, 0, bytes.length);
            return address;
        }

        /** A NULL-terminated {@code char *[]} of {@code values}. */
        long strings(List<String> values) {
            final long array = allocate((values.size() + 1L) * Long.BYTES);
            for (int i = 0; i < values.size(); i++) {
                memory.putAddress(array + (long) i * Long.BYTES, string(values.get(i)));
            }
            return array;
        }

        @Override
        public void close() {
            for (int i = 0; i < count; i++) {
                memory.freeMemory(blocks[i]);
            }
            count = 0;
        }
    }

    Scratch scratch() {
        return new Scratch();
    }

    /**
     * The failure of {@code call} on {@code subject}, with this thread's errno of the last call: read it before any
     * other call (a close on the way out, say) overwrites it.
     */
    ErrnoException failure(String call, String subject) {
        final int errno = errno();
        return new ErrnoException(call, subject, errno, describe(errno));
    }

    /** strerror(3)'s text for {@code errno}. */
    String describe(int errno) {
        final long text = call(STRERROR, errno);
        return text == 0 ? "errno " + errno : new String(memory.getZeroTerminatedByteArray(text),
                StandardCharsets.UTF_8);
    }

    private static final Function STRERROR = Function.ofLong("strerror", INT);
}
