package dev.rootlessjkit.parent.api;

import dev.rootlessjkit.port.ParentPortDriver;

/** Lets tests in other packages use the in-memory {@link FakePortDriver}. */
public final class FakePortDriverAccess {
    public ParentPortDriver driver() {
        return new FakePortDriver();
    }
}
