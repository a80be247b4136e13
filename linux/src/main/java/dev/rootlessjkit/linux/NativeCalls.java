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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * libc functions called through jffi directly, the layer jnr-ffi is built on. {@link Linux}'s set-up calls run on
 * every launch, in both JVMs and on the way to the child's spawn and to its command; jnr-ffi's interface binding
 * costs ~40 ms to load and a few ms more per function on first call (annotation proxies, method handles), which
 * a launch's few dozen calls never repay. Here a function costs one symbol lookup and one libffi call interface,
 * made on its first call. Arguments travel as longs, narrowed by libffi to each parameter's declared type.
 */
final class NativeCalls {
    /** A libc function's name and C signature; its address and call interface are made on first use. */
    static final class Function {
        private final String name;
        private final Type result;
        private final Type[] parameters;

        private Function(String name, Type result, Type... parameters) {
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
    }

    static final Type INT = Type.SINT32;
    static final Type SHORT = Type.SINT16;
    static final Type LONG = Type.SINT64;
    static final Type POINTER = Type.POINTER;

    private record Bound(long address, CallContext context) {
    }

    private final Library library;
    private final Invoker invoker = Invoker.getInstance();
    private final MemoryIO memory = MemoryIO.getInstance();
    private final Map<Function, Bound> bound = new ConcurrentHashMap<>();

    private NativeCalls(Library library) {
        this.library = library;
    }

    /** The process's own symbols, libc's among them: the JVM is linked against it. */
    static NativeCalls load() {
        if (Platform.getPlatform().addressSize() != Long.SIZE) {
            // Pointers are written as 8 bytes here, and Linux's struct offsets are those of LP64.
            throw new UnsupportedOperationException("rootlessjkit needs a 64-bit platform, not "
                    + Platform.getPlatform().getName());
        }
        return new NativeCalls(Library.getDefault());
    }

    MemoryIO memory() {
        return memory;
    }

    /** Calls {@code function}; its errno, when it sets one, is then {@link #errno()}. */
    long call(Function function, long... args) {
        final Bound target = bound.computeIfAbsent(function, this::bind);
        final CallContext context = target.context();
        final long address = target.address();
        return switch (args.length) {
            case 0 -> invoker.invokeL0(context, address);
            case 1 -> invoker.invokeL1(context, address, args[0]);
            case 2 -> invoker.invokeL2(context, address, args[0], args[1]);
            case 3 -> invoker.invokeL3(context, address, args[0], args[1], args[2]);
            case 4 -> invoker.invokeL4(context, address, args[0], args[1], args[2], args[3]);
            case 5 -> invoker.invokeL5(context, address, args[0], args[1], args[2], args[3], args[4]);
            case 6 -> invoker.invokeL6(context, address, args[0], args[1], args[2], args[3], args[4], args[5]);
            default -> throw new IllegalArgumentException(function.name + ": more than 6 arguments");
        };
    }

    /** Calls a function returning int. */
    int callInt(Function function, long... args) {
        return (int) call(function, args);
    }

    /** The errno of this thread's last call made through this class. */
    int errno() {
        return LastError.getInstance().get();
    }

    private Bound bind(Function function) {
        if (function.parameters.length > 6) {
            throw new IllegalArgumentException(function.name + ": more than 6 parameters");
        }
        final long address = library.getSymbolAddress(function.name);
        if (address == 0) {
            throw new UnsatisfiedLinkError("libc has no " + function.name + ": " + Library.getLastError());
        }
        return new Bound(address, CallContext.getCallContext(function.result, function.parameters,
                CallingConvention.DEFAULT, true));
    }

    /**
     * Native memory for the arguments of one or a few calls, freed together at {@link #close()}: C strings,
     * NULL-terminated string arrays, zeroed structs.
     */
    final class Scratch implements AutoCloseable {
        private final List<Long> blocks = new ArrayList<>();

        /** {@code size} zeroed bytes. */
        long allocate(long size) {
            final long address = memory.allocateMemory(Math.max(1, size), true);
            if (address == 0) {
                throw new OutOfMemoryError("native memory for a system call's arguments");
            }
            blocks.add(address);
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
            blocks.forEach(memory::freeMemory);
            blocks.clear();
        }
    }

    Scratch scratch() {
        return new Scratch();
    }

    /** strerror(3)'s text for {@code errno}. */
    String describe(int errno) {
        final long text = call(STRERROR, errno);
        return text == 0 ? "errno " + errno : new String(memory.getZeroTerminatedByteArray(text),
                StandardCharsets.UTF_8);
    }

    private static final Function STRERROR = Function.ofLong("strerror", INT);
}
