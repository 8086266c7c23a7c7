package dev.replcache;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.stereotype.Component;

/**
 * The dependency rule of docs/architecture.md ("Packages and threads"): the core ({@code keyspace}, {@code replication})
 * is plain Java driven by calls, so it can be tested without sockets and simulated with a
 * manual clock. Transports and Spring stay outside it.
 */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.replcache");
    }

    @Test
    void keyspaceImportsNothingOfOurs() {
        ArchRule rule = noClasses().that().resideInAPackage("dev.replcache.keyspace..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.replcache.replication..", "dev.replcache.node..", "dev.replcache.transport..",
                        "dev.replcache.config..", "dev.replcache.ops..", "dev.replcache.api..");
        rule.check(classes);
    }

    @Test
    void replicationImportsOnlyKeyspace() {
        ArchRule rule = noClasses().that().resideInAPackage("dev.replcache.replication..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.replcache.node..", "dev.replcache.transport..", "dev.replcache.config..",
                        "dev.replcache.ops..", "dev.replcache.api..");
        rule.allowEmptyShould(true).check(classes);
    }

    @Test
    void coreIsFreeOfSpringGrpcAndProtobuf() {
        ArchRule rule = noClasses().that().resideInAnyPackage("dev.replcache.keyspace..", "dev.replcache.replication..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "org.springframework..", "io.grpc..", "com.google.protobuf..", "jakarta..", "io.fabric8..");
        rule.check(classes);
    }

    @Test
    void theKubernetesLeaseIsAnAdapterNothingElseDependsOn() {
        // The node sees the election only as CacheNode.Election; the Kubernetes client stays in failover.
        noClasses().that().resideOutsideOfPackage("dev.replcache.failover..")
                .should().dependOnClassesThat().resideInAPackage("dev.replcache.failover..")
                .check(classes);
        noClasses().that().resideOutsideOfPackage("dev.replcache.failover..")
                .should().dependOnClassesThat().resideInAPackage("io.fabric8..")
                .check(classes);
    }

    @Test
    void coreNeverReadsTheSystemClock() {
        ArchRule rule = noClasses().that().resideInAnyPackage("dev.replcache.keyspace..", "dev.replcache.replication..")
                .should().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .orShould().callMethod(java.time.Instant.class, "now")
                .orShould().callMethod(java.time.Clock.class, "systemUTC")
                .orShould().callMethod(java.time.Clock.class, "systemDefaultZone")
                .orShould().callMethod(java.time.LocalDateTime.class, "now");
        rule.check(classes);
    }

    @Test
    void transportsDoNotTalkToEachOther() {
        noClasses().that().resideInAPackage("dev.replcache.transport.http..")
                .should().dependOnClassesThat().resideInAPackage("dev.replcache.transport.grpc..")
                .allowEmptyShould(true).check(classes);
        noClasses().that().resideInAPackage("dev.replcache.transport.grpc..")
                .should().dependOnClassesThat().resideInAPackage("dev.replcache.transport.http..")
                .allowEmptyShould(true).check(classes);
        noClasses().that().resideInAPackage("dev.replcache.transport.resp..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.replcache.transport.http..",
                        "dev.replcache.transport.grpc..", "io.grpc..")
                .allowEmptyShould(true).check(classes);
    }

    /** The application scans only some packages (a faster start): a component elsewhere would be silently missing. */
    @Test
    void springComponentsLiveWhereTheApplicationScans() {
        String[] scanned = subpackages(ReplCacheApplication.class.getAnnotation(SpringBootApplication.class).scanBasePackages());
        classes().that().areMetaAnnotatedWith(Component.class)
                .and().doNotHaveFullyQualifiedName(ReplCacheApplication.class.getName())
                .should().resideInAnyPackage(scanned)
                .check(classes);
        classes().that().areAnnotatedWith(ConfigurationProperties.class)
                .should().resideInAnyPackage(subpackages(
                        ReplCacheApplication.class.getAnnotation(ConfigurationPropertiesScan.class).value()))
                .check(classes);
    }

    private static String[] subpackages(String[] packages) {
        return Arrays.stream(packages).map(p -> p + "..").toArray(String[]::new);
    }
}
