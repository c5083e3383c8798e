package org.vsys;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vsys.base.ExitCode;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;

/**
 * The packages of org.vsys form one order, bottom to top; a class may use its own package and the
 * ones below it, never one above. A back-edge (or a package outside the order) fails the build.
 */
class LayeringTest {
    /** Bottom to top. */
    static final List<String> ORDER = List.of("base", "linux", "config", "mount", "store", "core", "layer", "apply", "cli");

    static JavaClasses classes;

    /** The main classes only, read from where they were compiled to (target/classes), not the whole class path. */
    @BeforeAll
    static void load() throws URISyntaxException {
        Path main = Path.of(ExitCode.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        classes = new ClassFileImporter().importPath(main);
    }

    static String pkg(String layer) {
        return "org.vsys." + layer + "..";
    }

    @Test
    void noPackageUsesOneAboveIt() {
        for (int i = 0; i < ORDER.size() - 1; i++) {
            String[] above = ORDER.subList(i + 1, ORDER.size()).stream().map(LayeringTest::pkg).toArray(String[]::new);
            var rule = noClasses().that().resideInAPackage(pkg(ORDER.get(i)));
            rule.should().dependOnClassesThat().resideInAnyPackage(above)
                    .because(ORDER.get(i) + " is below " + Arrays.toString(above)).check(classes);
        }
    }

    @Test
    void everyPackageHasAPlaceInTheOrder() {
        noClasses().should().resideOutsideOfPackages(ORDER.stream().map(LayeringTest::pkg).toArray(String[]::new))
                .because("a new package takes a place in LayeringTest.ORDER").check(classes);
    }

    @Test
    void noPackageCycles() {
        slices().matching("org.vsys.(*)..").should().beFreeOfCycles().check(classes);
    }
}
