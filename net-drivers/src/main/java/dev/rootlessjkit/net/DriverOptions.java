package dev.rootlessjkit.net;

/**
 * A network driver's own options: the flags only it reads, made and checked once by its registry entry
 * ({@link NetworkDriverKind#options}) and handed to its parent half as they are. Each driver's record lives in its
 * package; the options every driver shares are {@link NetworkOptions}'.
 */
public interface DriverOptions {
    /** The options of a driver that has none of its own. */
    DriverOptions NONE = new None();

    /** No options: the type of {@link #NONE}. */
    record None() implements DriverOptions {
    }
}
