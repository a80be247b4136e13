package dev.rootlessjkit.it;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Per-test fixture: a workspace owned by the test user and a harness bound to it, both torn down after the test
 * whatever its outcome. Register with {@code @RegisterExtension final Sandbox sandbox = new Sandbox();}.
 */
final class Sandbox implements BeforeEachCallback, AfterEachCallback {

    private Workspace workspace;
    private Rootless rootless;

    @Override
    public void beforeEach(ExtensionContext context) {
        workspace = Workspace.create(TestUser.primary());
        rootless = new Rootless(workspace);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            if (rootless != null) {
                rootless.close();
            }
        } finally {
            if (workspace != null) {
                workspace.close();
            }
        }
    }

    Rootless rootless() {
        return rootless;
    }

    Workspace workspace() {
        return workspace;
    }
}
