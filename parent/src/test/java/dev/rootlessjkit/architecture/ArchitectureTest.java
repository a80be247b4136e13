package dev.rootlessjkit.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
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

    /** The child JVM starts fast and stays small because nothing it runs can reach Netty (DESIGN.md §3). */
    @Test
    void nothingTheChildRunsReachesNetty() {
        noClasses().that().resideInAPackage(CHILD).should().transitivelyDependOnClassesThat()
                .resideInAPackage("io.netty..").check(classes);
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
