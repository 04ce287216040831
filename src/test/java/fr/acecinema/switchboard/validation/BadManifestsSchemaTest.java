package fr.acecinema.switchboard.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Runs the bad-input corpus ({@code bad-manifests/cases.yaml}) through Jackson's YAML parser and
 * {@link SchemaValidator}: syntax cases must fail to parse at the indexed line, schema cases must
 * produce a problem whose text holds the indexed fragment, reference and conflict cases must be
 * valid documents (their problem is found later, by reconcilers and the registry).
 */
class BadManifestsSchemaTest {
  private static final Path DIR = Path.of("src/test/resources/bad-manifests");
  private static final YAMLMapper YAML =
      YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final SchemaValidator VALIDATOR = new SchemaValidator();

  private static List<JsonNode> cases() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    YAML.readTree(DIR.resolve("cases.yaml").toFile()).path("cases").forEach(out::add);
    return out;
  }

  /**
   * Each document read with its own parser loop: {@code readValues(File)} would unwrap a document
   * that is a list and hide the {@code schema-list-instead-of-mapping} case.
   */
  private static List<JsonNode> documents(Path file) throws IOException {
    try (JsonParser p = YAML.createParser(file.toFile())) {
      return YAML.readerFor(JsonNode.class).<JsonNode>readValues(p).readAll();
    }
  }

  @Test
  void theCorpusIsLargeAndCoversEveryLevel() throws IOException {
    List<JsonNode> all = cases();
    assertThat(all.stream().filter(c -> !c.path("generated").asBoolean())).hasSizeGreaterThan(30);
    assertThat(all)
        .extracting(c -> c.path("level").asText())
        .contains("syntax", "schema", "reference", "conflict");
    assertThat(all)
        .extracting(c -> c.path("reason").asText())
        .contains(
            "YamlSyntaxError",
            "InvalidSpec",
            "SiteNotFound",
            "ServiceNotFound",
            "AddressOutsideSubnet",
            "Conflict");
  }

  @Test
  void everyFileIsIndexedAndEveryIndexedFileExists() throws IOException {
    Set<Path> indexed = new HashSet<>();
    for (JsonNode c : cases()) {
      if (c.path("generated").asBoolean()) {
        assertThat(DIR.resolve(c.path("file").asText())).doesNotExist();
        continue;
      }
      Path p = DIR.resolve(c.path("file").asText());
      assertThat(p).exists();
      if (Files.isDirectory(p)) {
        c.path("files").forEach(f -> indexed.add(p.resolve(f.asText())));
      } else {
        indexed.add(p);
      }
    }
    try (Stream<Path> s = Files.walk(DIR)) {
      assertThat(s.filter(Files::isRegularFile).filter(f -> !f.endsWith("cases.yaml")))
          .containsExactlyInAnyOrderElementsOf(indexed);
    }
  }

  @TestFactory
  Stream<DynamicTest> syntaxCasesFailToParseAtTheIndexedPosition() throws IOException {
    return cases().stream()
        .filter(c -> c.path("level").asText().equals("syntax") && !c.path("generated").asBoolean())
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.path("file").asText(),
                    () -> {
                      JsonProcessingException e =
                          catchThrowableOfType(
                              JsonProcessingException.class,
                              () -> documents(DIR.resolve(c.path("file").asText())));
                      assertThat(e).as("parse error").isNotNull();
                      int line = c.path("line").asInt();
                      int column = c.path("column").asInt();
                      assertThat(c.path("fragment").asText()).isEqualTo(line + ":" + column);
                      if (e.getCause() instanceof MarkedYAMLException m) {
                        assertThat(
                                (m.getProblemMark().getLine() + 1)
                                    + ":"
                                    + (m.getProblemMark().getColumn() + 1))
                            .isEqualTo(line + ":" + column);
                      } else {
                        // Jackson's own errors (duplicate keys) only locate the line reliably.
                        assertThat(e.getLocation().getLineNr()).isEqualTo(line);
                      }
                    }));
  }

  @TestFactory
  Stream<DynamicTest> schemaCasesProduceAProblemNamingTheField() throws IOException {
    return cases().stream()
        .filter(c -> c.path("level").asText().equals("schema"))
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.path("file").asText(),
                    () -> {
                      assertThat(c.path("reason").asText()).isEqualTo("InvalidSpec");
                      List<JsonNode> docs = documents(DIR.resolve(c.path("file").asText()));
                      int bad = c.path("document").asInt(1) - 1;
                      for (int i = 0; i < docs.size(); i++) {
                        List<String> problems =
                            VALIDATOR.validate(docs.get(i)).stream()
                                .map(Problem::describe)
                                .toList();
                        if (i == bad) {
                          assertThat(problems)
                              .isNotEmpty()
                              .anySatisfy(m -> assertThat(m).contains(c.path("fragment").asText()));
                        } else {
                          assertThat(problems).as("document " + (i + 1)).isEmpty();
                        }
                      }
                    }));
  }

  @TestFactory
  Stream<DynamicTest> referenceAndConflictCasesAreValidDocuments() throws IOException {
    return cases().stream()
        .filter(c -> Set.of("reference", "conflict").contains(c.path("level").asText()))
        .filter(c -> !c.path("generated").asBoolean())
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.path("file").asText(),
                    () -> {
                      Path p = DIR.resolve(c.path("file").asText());
                      List<Path> files = new ArrayList<>();
                      if (Files.isDirectory(p)) {
                        c.path("files").forEach(f -> files.add(p.resolve(f.asText())));
                      } else {
                        files.add(p);
                      }
                      for (Path f : files) {
                        for (JsonNode d : documents(f)) {
                          assertThat(VALIDATOR.validate(d)).as(f + " " + d.path("kind")).isEmpty();
                        }
                      }
                    }));
  }
}
