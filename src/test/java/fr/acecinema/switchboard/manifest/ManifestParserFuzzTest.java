package fr.acecinema.switchboard.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.file.DocumentAdmission;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes what reads a user's manifest file: any bytes must come back as documents or errors (never
 * an exception, a hang or a heap blow-up), every parsed document must be admitted or rejected
 * (never throw), and writing a status into any parsed block-mapping document must keep every other
 * byte's meaning: the result parses, with the same documents and the same derived generations.
 *
 * <p>{@code mvn test} replays the seed corpus in {@code ManifestParserFuzzTestInputs/} (and any
 * crash found earlier, kept there as a regression input). {@code JAZZER_FUZZ=1} fuzzes for real,
 * see docs/fuzzing.md. The {@link Timeout} becomes libFuzzer's per-input {@code -timeout}.
 */
class ManifestParserFuzzTest {
  private static final ManifestParser PARSER = new ManifestParser();
  private static final StatusSplicer SPLICER = new StatusSplicer(PARSER);
  private static final DocumentAdmission ADMISSION =
      new DocumentAdmission(
          java.util.Optional.of(new fr.acecinema.switchboard.validation.SchemaValidator()));

  /** Statuses that are hard to render: quotes, colons, comments, breaks, unicode, deep values. */
  private static final List<ObjectNode> STATUSES = statuses();

  @FuzzTest(maxDuration = "60s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @DictionaryFile(resourcePath = "/fr/acecinema/switchboard/manifest/yaml.dict")
  void anyBytesParseAdmitAndSpliceWithoutLoss(byte[] input) {
    ParsedFile file = PARSER.parse(input);

    file.error()
        .ifPresent(
            e ->
                assertThat(DocumentAdmission.syntaxError("file", "fuzz.yaml", e).message())
                    .as("a syntax error says where and what")
                    .startsWith("fuzz.yaml")
                    .doesNotEndWith(": "));
    for (ParsedDocument document : file.documents()) {
      Origin origin = new Origin("file", "fuzz.yaml", document.index(), document.line());
      assertThat(ADMISSION.admit(origin, document)).isNotNull();
    }

    if (file.error().isPresent()) {
      return; // a file that does not read gets no status written into it
    }
    String text = PARSER.decode(input).text();
    for (ParsedDocument document : file.documents()) {
      if (document.problem().isEmpty() && !document.spans().flow()) {
        for (ObjectNode status : STATUSES) {
          spliceKeepsEverythingElse(text, file, document, status);
        }
      }
    }
  }

  private static void spliceKeepsEverythingElse(
      String text, ParsedFile before, ParsedDocument document, ObjectNode status) {
    String spliced;
    try {
      spliced = SPLICER.splice(text, document.index(), status);
    } catch (IllegalArgumentException e) {
      // Documented refusals left for a block mapping: `--- status: x` on a marker's line; a
      // lone CR, which YAML reads as a line break but the splicer's line model does not; a
      // `--- key: |` document ending the file with no final line break; a status written as an
      // explicit key ("?" on the line above it).
      assertThat(e.getMessage())
          .containsAnyOf(
              "does not start its line",
              "not a plain key at the document's indentation",
              "lone CR",
              "Unicode line break",
              "without a final line break");
      return;
    }
    // Everything before the document is the user's and untouched, byte for byte.
    assertThat(spliced).startsWith(text.substring(0, document.spans().start()));

    ParsedFile after = PARSER.parse(spliced);
    assertThat(after.error()).as("spliced text parses:\n%s", spliced).isEmpty();
    assertThat(after.documents()).hasSameSizeAs(before.documents());
    for (int i = 0; i < before.documents().size(); i++) {
      ParsedDocument old = before.documents().get(i);
      ParsedDocument now = after.documents().get(i);
      assertThat(now.index()).isEqualTo(old.index());
      assertThat(now.generation())
          .as("generation of document %d after splicing into %d", old.index(), document.index())
          .isEqualTo(old.generation());
    }
    ObjectNode written = after.document(document.index()).orElseThrow().document();
    assertThat(Generations.canonical(written.get("status")))
        .as("the status reads back as written:\n%s", spliced)
        .isEqualTo(Generations.canonical(status));
    // Writing the same status again changes nothing: reconcilers rewrite it every pass.
    assertThat(SPLICER.splice(spliced, document.index(), status)).isEqualTo(spliced);
  }

  private static List<ObjectNode> statuses() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode ready = f.objectNode();
    ready.put("observedGeneration", 42);
    ObjectNode condition = ready.putArray("conditions").addObject();
    condition.put("type", "Ready");
    condition.put("status", "True");
    condition.put("reason", "ProbeSucceeded");
    condition.put("message", "ok: 3/3 probes # not a comment");
    condition.put("lastTransitionTime", "2025-01-01T00:00:00Z");

    ObjectNode awkward = f.objectNode();
    awkward.put("message", "line one\nline two: 'quoted' \"double\"\ttab");
    awkward.put("leading", "  - looks: like yaml");
    awkward.put("unicode", "café 🎬 \u2028");
    awkward.put("empty", "");
    awkward.put("nullish", "null");
    awkward.put("number", "0x10");
    awkward.put("exponent", "1e5");
    awkward.put("infinity", "-.Inf");
    awkward.put("blankLine", "a\n\nb");
    awkward.put("finalBreak", "body\n");
    awkward.put("onlyBreaks", "\n\n");
    awkward.put("nextLine", "x\u0085y");
    awkward.put("bell", "\u0007");
    awkward.putNull("none");
    awkward.putArray("list").add(1).add(true).addArray();
    awkward.putObject("nested").putObject("deeper").put("key: with colon", "- dash");

    return List.of(f.objectNode(), ready, awkward);
  }
}
