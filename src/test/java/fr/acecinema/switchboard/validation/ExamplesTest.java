package fr.acecinema.switchboard.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Validates the shipped example fleets and the demo fleet offline (they are never applied: the
 * examples use real 10.200.x addresses). Parsed with Jackson here, independent of the sources'
 * position-aware parser.
 */
class ExamplesTest {
  private static final Path MANIFESTS = Path.of("manifests");
  private static final SchemaValidator VALIDATOR = new SchemaValidator();

  /** The demo's loopback sites, allowed as bin/sbctl demo allows them (DemoRunner). */
  private static final SchemaValidator DEMO_VALIDATOR =
      new SchemaValidator(SubnetPolicy.allowing(List.of("127.0.10.0/24", "127.0.11.0/24")));

  /**
   * The demo runs on loopback, which a hub refuses as a Site subnet unless allowed; every other
   * stack is a real fleet and passes the default policy.
   */
  private static SchemaValidator validatorOf(Path dir) {
    return dir.getFileName().toString().equals("demo") ? DEMO_VALIDATOR : VALIDATOR;
  }

  private static final YAMLMapper YAML =
      YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  /** One document with where it came from. */
  record Doc(Path file, int index, JsonNode node) {
    String kind() {
      return node.path("kind").asText();
    }

    String name() {
      return node.path("metadata").path("name").asText();
    }

    JsonNode spec() {
      return node.path("spec");
    }

    @Override
    public String toString() {
      return file + " #" + (index + 1) + " " + kind() + "/" + name();
    }
  }

  static List<Path> stacks() throws IOException {
    List<Path> dirs = new ArrayList<>();
    try (Stream<Path> s = Files.list(MANIFESTS.resolve("examples"))) {
      s.filter(Files::isDirectory).sorted().forEach(dirs::add);
    }
    dirs.add(MANIFESTS.resolve("demo"));
    return dirs;
  }

  static List<Doc> documents(Path dir) throws IOException {
    List<Doc> docs = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().matches(".*\\.ya?ml$")).sorted().toList();
    }
    for (Path f : files) {
      List<JsonNode> nodes;
      // A parser of our own: readValues(File) would unwrap a document that is a list.
      try (JsonParser p = YAML.createParser(f.toFile())) {
        nodes = YAML.readerFor(JsonNode.class).<JsonNode>readValues(p).readAll();
      }
      for (int i = 0; i < nodes.size(); i++) {
        docs.add(new Doc(f, i, nodes.get(i)));
      }
    }
    return docs;
  }

  @Test
  void everyStackDirectoryHoldsManifests() throws IOException {
    assertThat(stacks())
        .extracting(p -> p.getFileName().toString())
        .contains("acecinema", "bob-strapi", "accoreboot", "mypacer", "demo");
    for (Path dir : stacks()) {
      assertThat(documents(dir)).as(dir.toString()).isNotEmpty();
    }
  }

  @TestFactory
  Stream<DynamicTest> everyDocumentPassesTheSchema() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (Path dir : stacks()) {
      for (Doc d : documents(dir)) {
        tests.add(
            DynamicTest.dynamicTest(
                d.toString(),
                () -> assertThat(validatorOf(dir).validate(d.node())).as(d.toString()).isEmpty()));
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> everyReferenceResolvesWithinItsStack() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (Path dir : stacks()) {
      tests.add(DynamicTest.dynamicTest(dir.toString(), () -> checkReferences(documents(dir))));
    }
    return tests.stream();
  }

  private static void checkReferences(List<Doc> docs) {
    Map<String, Doc> sites = byName(docs, "Site");
    Map<String, Doc> services = byName(docs, "Service");
    Map<String, Integer> backendsPerService = new HashMap<>();
    for (Doc b : docs) {
      if (!b.kind().equals("Backend")) {
        continue;
      }
      String site = b.spec().path("site").asText();
      String service = b.spec().path("service").asText();
      assertThat(sites).as(b + ": site").containsKey(site);
      assertThat(services).as(b + ": service").containsKey(service);
      String subnet = sites.get(site).spec().path("subnet").asText();
      assertThat(Subnets.contains(subnet, b.spec().path("address").asText()))
          .as(b + ": address inside " + subnet)
          .isTrue();
      backendsPerService.merge(service, 1, Integer::sum);
    }
    assertThat(backendsPerService.keySet())
        .as("every service has a backend")
        .containsExactlyInAnyOrderElementsOf(services.keySet());
  }

  private static Map<String, Doc> byName(List<Doc> docs, String kind) {
    Map<String, Doc> out = new HashMap<>();
    docs.stream().filter(d -> d.kind().equals(kind)).forEach(d -> out.put(d.name(), d));
    return out;
  }

  @Test
  void namesAreUniqueAcrossAllExamplesSoTheTreeLoadsAtOnce() throws IOException {
    Map<String, Doc> seen = new HashMap<>();
    for (Path dir : stacks()) {
      for (Doc d : documents(dir)) {
        Doc previous = seen.putIfAbsent(d.kind() + "/" + d.name(), d);
        assertThat(previous).as(d + " duplicates " + previous).isNull();
      }
    }
  }

  @Test
  void theDemoSitesAreRefusedByAHubThatDoesNotAllowLoopback() throws IOException {
    for (Doc d : documents(MANIFESTS.resolve("demo"))) {
      if (d.kind().equals("Site")) {
        assertThat(VALIDATOR.validate(d.node()))
            .as(d.toString())
            .singleElement()
            .extracting(Problem::describe)
            .asString()
            .contains("spec.subnet", "loopback", "--allow-subnets");
      }
    }
  }

  @Test
  void theDemoSendsTrafficOnlyToLoopback() throws IOException {
    for (Doc d : documents(MANIFESTS.resolve("demo"))) {
      if (d.kind().equals("Site")) {
        assertThat(Subnets.overlap("127.0.0.0/8", d.spec().path("subnet").asText()))
            .as(d.toString())
            .contains(d.spec().path("subnet").asText());
      }
      if (d.kind().equals("Backend")) {
        assertThat(Subnets.contains("127.0.0.0/8", d.spec().path("address").asText()))
            .as(d.toString())
            .isTrue();
      }
    }
  }
}
