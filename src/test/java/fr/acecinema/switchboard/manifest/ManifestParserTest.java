package fr.acecinema.switchboard.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ManifestParserTest {
  private final ManifestParser parser = new ManifestParser();

  private static final String BACKEND =
      """
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Backend
      metadata:
        name: api-lyon-1
      spec:
        service: api
        port: 8080
      """;

  @Test
  void readsDocumentsWithIndexLineKindAndName() {
    String text = "# header\n" + BACKEND + "---\n" + BACKEND.replace("api-lyon-1", "api-lyon-2");
    ParsedFile file = parser.parse(text);

    assertThat(file.error()).isEmpty();
    assertThat(file.documents()).hasSize(2);
    ParsedDocument first = file.documents().get(0);
    assertThat(first.index()).isZero();
    assertThat(first.line()).isEqualTo(2);
    assertThat(first.kind()).isEqualTo("Backend");
    assertThat(first.apiVersion()).isEqualTo("switchboard.acecinema.fr/v1alpha1");
    assertThat(first.name()).isEqualTo("api-lyon-1");
    assertThat(first.document().at("/spec/port").asInt()).isEqualTo(8080);
    assertThat(first.generation()).isBetween(1L, (long) Integer.MAX_VALUE);
    ParsedDocument second = file.documents().get(1);
    assertThat(second.index()).isEqualTo(1);
    assertThat(second.line()).isEqualTo(10);
    assertThat(second.name()).isEqualTo("api-lyon-2");
    assertThat(second.generation()).isNotEqualTo(first.generation());
  }

  @Test
  void skipsEmptyDocumentsButKeepsStreamIndexes() {
    String text = BACKEND + "---\n# only a comment\n---\n" + BACKEND;
    ParsedFile file = parser.parse(text);

    assertThat(file.documents()).extracting(ParsedDocument::index).containsExactly(0, 2);
    assertThat(parser.parse("# nothing here\n\n").documents()).isEmpty();
    assertThat(parser.parse("").documents()).isEmpty();
  }

  @Test
  void nameIsNullWhenMetadataHasNoName() {
    ParsedDocument d = parser.parse("kind: Site\nmetadata: {}\n").documents().get(0);
    assertThat(d.name()).isNull();
    assertThat(d.apiVersion()).isNull();
    assertThat(d.kind()).isEqualTo("Site");
  }

  @Test
  void reportsSyntaxErrorWithFileRelativeLineAndColumn() {
    String text = BACKEND + "---\nkind: Site\nmetadata:\n  name: x\n  bad: a: b\n";
    ParsedFile file = parser.parse(text);

    assertThat(file.error()).isPresent();
    assertThat(file.error().get().describe("api.yaml"))
        .isEqualTo("api.yaml:12:9: mapping values are not allowed here");
    assertThat(file.documents()).hasSize(1);
  }

  @Test
  void rejectsDuplicateKeysNamingTheKeyAndBothLines() {
    ParsedFile file = parser.parse("kind: Site\nmetadata:\n  name: a\n  name: b\n");

    assertThat(file.error()).isPresent();
    assertThat(file.error().get().line()).isEqualTo(4);
    assertThat(file.error().get().problem()).contains("duplicate key 'name'", "first at line 3");
  }

  @Test
  void nonMappingDocumentIsAPerDocumentProblem() {
    ParsedFile file = parser.parse("- a\n- b\n---\njust text\n---\n" + BACKEND);

    assertThat(file.error()).isEmpty();
    assertThat(file.documents()).hasSize(3);
    assertThat(file.documents().get(0).problem()).get().asString().contains("a list");
    assertThat(file.documents().get(1).problem()).get().asString().contains("a single value");
    assertThat(file.documents().get(2).problem()).isEmpty();
  }

  @Test
  void rejectsBillionLaughs() {
    StringBuilder text = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (char c = 'b'; c <= 'j'; c++) {
      char p = (char) (c - 1);
      text.append(c)
          .append(": &")
          .append(c)
          .append(" [*")
          .append(p)
          .append(", *")
          .append(p)
          .append(", *")
          .append(p)
          .append(", *")
          .append(p)
          .append(", *")
          .append(p)
          .append(", *")
          .append(p)
          .append(", *")
          .append(p)
          .append(", *")
          .append(p)
          .append(", *")
          .append(p)
          .append(", *")
          .append(p)
          .append("]\n");
    }
    ParsedFile file = parser.parse(text.toString());

    assertThat(file.error()).isPresent();
  }

  @Test
  void boundsExpansionOfFewAliasesThatMultiply() {
    // 5 levels of 9 aliases stays under SnakeYAML's alias count but expands to 59,049 leaves each.
    StringBuilder text = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for (char c = 'b'; c <= 'f'; c++) {
      String ref = "*" + (char) (c - 1);
      text.append(c).append(": &").append(c).append(" [");
      text.append(String.join(", ", java.util.Collections.nCopies(9, ref))).append("]\n");
    }
    text.append("g: [*f, *f, *f, *f]\n");
    ParsedFile file = parser.parse(text.toString());

    assertThat(file.error()).get().extracting(SyntaxError::problem).asString().contains("too many");
  }

  @Test
  void rejectsDeepNesting() {
    String text = "a: " + "[".repeat(500) + "]".repeat(500) + "\n";
    assertThat(parser.parse(text).error()).isPresent();
  }

  @Test
  void rejectsFilesOverTheSizeLimitGivingBothSizes() {
    ManifestParser small = new ManifestParser(100);
    ParsedFile file =
        small.parse(("a: " + "x".repeat(200) + "\n").getBytes(StandardCharsets.UTF_8));

    assertThat(file.error().get().problem()).contains("204 bytes", "limit of 100 bytes");
  }

  @Test
  void rejectsBinaryAndInvalidUtf8WithAClearMessage() {
    ParsedFile nul = parser.parse(new byte[] {'a', ':', ' ', 0, 1, 2});
    assertThat(nul.error().get().problem()).contains("NUL byte", "binary");

    ParsedFile latin1 = parser.parse("name: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
    assertThat(latin1.error().get().problem()).contains("not valid UTF-8", "offset 9");

    ParsedFile control = parser.parse("a: \u0007bell\n");
    assertThat(control.error()).isPresent();
  }

  @Test
  void neverThrowsOnRandomBytes() {
    java.util.Random random = new java.util.Random(42);
    for (int i = 0; i < 2000; i++) {
      byte[] bytes = new byte[random.nextInt(200)];
      random.nextBytes(bytes);
      parser.parse(bytes);
      char[] chars = new char[random.nextInt(100)];
      String alphabet = "ab: -[]{}&*!|>'\"#\n\t%@`,?";
      for (int c = 0; c < chars.length; c++) {
        chars[c] = alphabet.charAt(random.nextInt(alphabet.length()));
      }
      parser.parse(new String(chars));
    }
  }

  @Test
  void resolvesScalarsWithTheCoreSchema() {
    ParsedDocument d =
        parser
            .parse(
                "a: yes\nb: on\nc: true\nd: 0x1F\ne: 1.5\nf: ~\ng: '80'\nh: 2024-01-01\ni: 99999999999999999999\n")
            .documents()
            .get(0);

    assertThat(d.document().get("a").isTextual()).isTrue();
    assertThat(d.document().get("b").asText()).isEqualTo("on");
    assertThat(d.document().get("c").booleanValue()).isTrue();
    assertThat(d.document().get("d").asInt()).isEqualTo(31);
    assertThat(d.document().get("e").doubleValue()).isEqualTo(1.5);
    assertThat(d.document().get("f").isNull()).isTrue();
    assertThat(d.document().get("g").isTextual()).isTrue();
    assertThat(d.document().get("h").asText()).isEqualTo("2024-01-01");
    assertThat(d.document().get("i").isBigInteger()).isTrue();
  }

  @Test
  void locatesStatusSpansInCharactersEvenAfterEmoji() {
    String text =
        "\uFEFFkind: Site # \uD83D\uDE80 rocket\nstatus:\n  ok: true\n# after\nspec: {}\n";
    ParsedDocument d = parser.parse(text).documents().get(0);
    ParsedDocument.Spans spans = d.spans();

    assertThat(text.substring(spans.statusKeyStart(), spans.statusValueEnd()))
        .isEqualTo("status:\n  ok: true");
    assertThat(text.substring(spans.nextKeyStart())).startsWith("spec:");
    assertThat(spans.start()).isEqualTo(1);
    assertThat(text.substring(spans.start(), spans.end())).endsWith("spec: {}");
  }

  @Test
  void readsCrlfFiles() {
    ParsedFile file = parser.parse(BACKEND.replace("\n", "\r\n"));
    assertThat(file.error()).isEmpty();
    assertThat(file.documents().get(0).name()).isEqualTo("api-lyon-1");
  }
}
