package dev.rootlessjkit.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noMethods;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.rootlessjkit.net.NetworkDriverKind;
import dev.rootlessjkit.net.api.ParentJvmOnly;
import dev.rootlessjkit.port.PortDriverKind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rules of the module graph, as the compiled classes of every module (this module's test class path holds them
 * all) obey them. From the bottom: {@code log}, {@code messages} and {@code linux}; {@code net-api} on messages;
 * {@code net-drivers} and {@code port-drivers} side by side, the port drivers reaching a network driver only
 * through net-api; {@code child} and {@code parent} on top, neither naming the other.
 */
class ArchitectureTest {
    private static final String PROJECT = "dev.rootlessjkit";
    private static final String LOG = PROJECT + ".log..";
    private static final String MESSAGES = PROJECT + ".messages..";
    private static final String LINUX = PROJECT + ".linux..";
    private static final String NET_API = PROJECT + ".net.api..";
    private static final String NET = PROJECT + ".net..";
    private static final String PORT = PROJECT + ".port..";
    private static final String CHILD = PROJECT + ".child..";
    private static final String PARENT = PROJECT + ".parent..";

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(PROJECT);
    }

    @Test
    void theBottomModulesUseNothingAboveThem() {
        noClasses().that().resideInAPackage(LOG).should().dependOnClassesThat()
                .resideInAnyPackage(MESSAGES, LINUX, NET, PORT, CHILD, PARENT).check(classes);
        noClasses().that().resideInAPackage(MESSAGES).should().dependOnClassesThat()
                .resideInAnyPackage(LINUX, NET, PORT, CHILD, PARENT).check(classes);
        noClasses().that().resideInAPackage(LINUX).should().dependOnClassesThat()
                .resideInAnyPackage(MESSAGES, NET, PORT, CHILD, PARENT).check(classes);
    }

    @Test
    void theNetworkDriverApiStandsOnMessagesAlone() {
        noClasses().that().resideInAPackage(NET_API).should().dependOnClassesThat()
                .resideInAnyPackage(LINUX, PORT, CHILD, PARENT).check(classes);
        noClasses().that().resideInAPackage(NET_API).should().dependOnClassesThat(networkDriversBeyondTheirApi())
                .check(classes);
    }

    @Test
    void theDriverModulesStandSideBySide() {
        noClasses().that().resideInAPackage(NET).should().dependOnClassesThat()
                .resideInAnyPackage(PORT, CHILD, PARENT).check(classes);
        noClasses().that().resideInAPackage(PORT).should().dependOnClassesThat()
                .resideInAnyPackage(CHILD, PARENT).check(classes);
        noClasses().that().resideInAPackage(PORT).should().dependOnClassesThat(networkDriversBeyondTheirApi())
                .check(classes);
    }

    private static DescribedPredicate<JavaClass> networkDriversBeyondTheirApi() {
        return resideInAPackage(NET).and(not(resideInAPackage(NET_API)));
    }

    @Test
    void parentAndChildMeetOnlyInTheirMessages() {
        noClasses().that().resideInAPackage(PARENT).should().dependOnClassesThat().resideInAPackage(CHILD)
                .check(classes);
        noClasses().that().resideInAPackage(CHILD).should().dependOnClassesThat().resideInAPackage(PARENT)
                .check(classes);
    }

    /**
     * The child JVM starts fast and stays small because nothing it runs can reach Netty (DESIGN.md §3). The driver
     * registries, which the child loads too, name the parent halves in methods marked {@link ParentJvmOnly} that
     * only the parent calls: every other dependency is followed, transitively.
     */
    @Test
    void nothingTheChildRunsReachesNetty() {
        final Deque<List<JavaClass>> paths = new ArrayDeque<>();
        final Set<String> seen = new HashSet<>();
        for (JavaClass child : classes.that(resideInAPackage(CHILD))) {
            paths.add(List.of(child));
            seen.add(child.getName());
        }
        while (!paths.isEmpty()) {
            final List<JavaClass> path = paths.poll();
            final JavaClass last = path.get(path.size() - 1);
            for (Dependency dependency : last.getDirectDependenciesFromSelf()) {
                if (fromParentJvmOnlyMethod(dependency)) {
                    continue;
                }
                final JavaClass target = dependency.getTargetClass();
                final List<JavaClass> longer = new ArrayList<>(path);
                longer.add(target);
                assertFalse(target.getPackageName().startsWith("io.netty"), () -> "the child reaches Netty: "
                        + longer.stream().map(JavaClass::getName).toList() + " (" + dependency.getDescription() + ")");
                if (seen.add(target.getName())) {
                    paths.add(longer);
                }
            }
        }
        assertTrue(seen.contains(NetworkDriverKind.class.getName()) && seen.contains(PortDriverKind.class.getName()),
                "the child's reach was followed through the driver registries");
    }

    /** A dependency that only a {@link ParentJvmOnly} method of its class has. */
    private static boolean fromParentJvmOnlyMethod(Dependency dependency) {
        final JavaClass origin = dependency.getOriginClass();
        final String prefix = "Method <" + origin.getFullName() + ".";
        final String description = dependency.getDescription();
        if (!description.startsWith(prefix)) {
            return false;
        }
        final String method = description.substring(prefix.length(), description.indexOf('(', prefix.length()));
        return origin.getMethods().stream().anyMatch(m -> m.getName().equals(method)
                && m.isAnnotatedWith(ParentJvmOnly.class));
    }

    /** The registries' marked methods are the only way into a parent half: none of them sits elsewhere. */
    @Test
    void onlyTheDriverRegistriesMarkMethodsParentJvmOnly() {
        noMethods().that().areAnnotatedWith(ParentJvmOnly.class).should().beDeclaredInClassesThat(
                not(JavaClass.Predicates.assignableTo(NetworkDriverKind.class)
                        .or(JavaClass.Predicates.assignableTo(PortDriverKind.class)))).check(classes);
    }

    /** Native calls, and the library that makes them (jffi), only in linux. */
    @Test
    void nativeCallsOnlyInLinux() {
        noClasses().that().resideOutsideOfPackage(LINUX).should().dependOnClassesThat()
                .resideInAnyPackage("com.kenai.jffi..").check(classes);
        noClasses().that().resideOutsideOfPackage(LINUX).should().callMethod(System.class, "loadLibrary",
                String.class).orShould().callMethod(System.class, "load", String.class).check(classes);
    }
}
