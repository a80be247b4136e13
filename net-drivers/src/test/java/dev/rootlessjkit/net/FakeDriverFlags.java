package dev.rootlessjkit.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A command line for the drivers' options factories: the given flag values, every other flag at "". */
public final class FakeDriverFlags implements DriverFlags {
    private final boolean runs;
    private final Map<String, String> values;
    private final String portDriver;
    private final List<PublishedPort> published;
    private final Map<String, String> env;
    private final List<String> warnings = new ArrayList<>();

    public FakeDriverFlags(boolean runs, Map<String, String> values, String portDriver, List<PublishedPort> published,
            Map<String, String> env) {
        this.runs = runs;
        this.values = Map.copyOf(values);
        this.portDriver = portDriver;
        this.published = List.copyOf(published);
        this.env = Map.copyOf(env);
    }

    /** The running driver's view of these flag values, with port driver "none", no -p and no environment. */
    public static FakeDriverFlags running(Map<String, String> values) {
        return new FakeDriverFlags(true, values, "none", List.of(), Map.of());
    }

    @Override
    public boolean runs() {
        return runs;
    }

    @Override
    public String value(String flag) {
        return values.getOrDefault(flag, "");
    }

    @Override
    public boolean bool(String flag) {
        return Boolean.parseBoolean(values.getOrDefault(flag, "false"));
    }

    @Override
    public String portDriver() {
        return portDriver;
    }

    @Override
    public List<PublishedPort> published() {
        return published;
    }

    @Override
    public String env(String name) {
        return env.get(name);
    }

    @Override
    public void warn(String warning) {
        warnings.add(warning);
    }

    public List<String> warnings() {
        return List.copyOf(warnings);
    }
}
