package dev.replcache.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every {@code replcache.*} setting is known to the IDE (the configuration processor's
 * {@code META-INF/spring-configuration-metadata.json}) with a description and a default, and is
 * documented in {@code application.yml}: a setting added to a properties record without its
 * {@code @param} Javadoc, its {@code @DefaultValue} or its line in the yml fails here.
 */
class ConfigurationMetadataTest {

    @Test
    void everySettingHasADescriptionADefaultAndALineInApplicationYml() throws Exception {
        Map<String, JsonNode> metadata = new TreeMap<>();
        try (InputStream in = new ClassPathResource("META-INF/spring-configuration-metadata.json").getInputStream()) {
            for (JsonNode property : JsonMapper.builder().build().readTree(in).get("properties")) {
                String name = property.get("name").asString();
                if (name.startsWith("replcache.")) {
                    metadata.put(name, property);
                }
            }
        }
        assertThat(metadata).as("replcache.* settings in the metadata").hasSizeGreaterThan(50);
        for (Map.Entry<String, JsonNode> e : metadata.entrySet()) {
            JsonNode p = e.getValue();
            assertThat(p.path("description").asString("")).as("description of %s", e.getKey()).isNotBlank();
            assertThat(p.has("defaultValue")).as("%s has a default", e.getKey()).isTrue();
        }

        TreeSet<String> documented = new TreeSet<>();
        for (PropertySource<?> source : new YamlPropertySourceLoader()
                .load("application.yml", new ClassPathResource("application.yml"))) {
            for (String name : ((EnumerablePropertySource<?>) source).getPropertyNames()) {
                if (name.startsWith("replcache.")) {
                    documented.add(name);
                }
            }
        }
        assertThat(documented).as("replcache.* keys in application.yml that the metadata does not know")
                .isSubsetOf(metadata.keySet());
        assertThat(metadata.keySet()).as("settings the metadata knows that application.yml does not document")
                .isSubsetOf(documented);
    }
}
