package fr.acecinema.switchboard.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StatusSplicerTest {
  private final StatusSplicer splicer = new StatusSplicer();
  private final ManifestParser parser = new ManifestParser();

  private static ObjectNode status(long generation) {
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    status.put("observedGeneration", generation);
    ObjectNode ready = status.putArray("conditions").addObject();
    ready.put("type", "Ready");
    ready.put("status", "True");
    ready.put("message", "ok: 3/3 probes");
    return status;
  }

  private static final String NEW_STATUS =
      """
      status:
        observedGeneration: 7
        conditions:
        - type: Ready
          status: "True"
          message: "ok: 3/3 probes"
      """;

  @Test
  void quotesStringsThatWouldNotReadBackTheSame() {
    // Found by ManifestParserFuzzTest: Jackson wrote these plain or as literal blocks, and the
    // splice was refused because they read back as numbers or with other line breaks.
    String text = "kind: Site\n";
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    status.put("hex", "0x10");
    status.put("exponent", "1e5");
    status.put("infinity", ".inf");
    status.put("body", "ok\n");
    status.put("paragraphs", "a\n\nb");
    status.put("nextLine", "x\u0085y");
    String spliced = splicer.splice(text, 0, status);
    assertThat(spliced)
        .isEqualTo(
            "kind: Site\nstatus:\n  hex: \"0x10\"\n  exponent: \"1e5\"\n  infinity: \".inf\"\n"
                + "  body: \"ok\\n\"\n  paragraphs: \"a\\n\\nb\"\n  nextLine: \"x\\Ny\"\n");
    assertThat(splicer.readStatus(spliced, 0)).contains(status);
  }

  @Test
  void refusesFilesWithALoneCarriageReturn() {
    // Found by ManifestParserFuzzTest: YAML ends the block scalar's line at the CR, so `---`
    // starts a new document, but the status was placed after it, in the next document.
    String text = "kind: Site\nnote: |\n  text\r---\n---\nkind: Backend\n";
    assertThat(parser.parse(text).error()).isEmpty();
    assertThatThrownBy(() -> splicer.splice(text, 0, status(7)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 3 ends with a lone CR");
  }

  @Test
  void addsStatusFirstWhenTheFileEndsInABlockScalarWithoutFinalNewline() {
    // Found by ManifestParserFuzzTest: a line break after `--` would make the note "--\n".
    String text = "kind: Site # hub\nnote: |\n  --";
    assertThat(splicer.splice(text, 0, status(7))).isEqualTo(NEW_STATUS + text);
  }

  @Test
  void addsStatusAtTheEndOfADocumentWithoutOne() {
    String text = "kind: Site # the hub\nmetadata:\n  name: hub\n";
    assertThat(splicer.splice(text, 0, status(7))).isEqualTo(text + NEW_STATUS);
  }

  @Test
  void replacesStatusWhenItIsTheLastKey() {
    String text = "kind: Site\nstatus:\n  observedGeneration: 1\n";
    assertThat(splicer.splice(text, 0, status(7))).isEqualTo("kind: Site\n" + NEW_STATUS);
  }

  @Test
  void replacesStatusWhenItIsTheFirstKey() {
    String text = "status: {observedGeneration: 1}\nkind: Site\n";
    assertThat(splicer.splice(text, 0, status(7))).isEqualTo(NEW_STATUS + "kind: Site\n");
  }

  @Test
  void replacesStatusInTheMiddleKeepingKeysAroundIt() {
    String text =
        "kind: Site\nstatus:\n  conditions:\n    - type: Old\n      status: 'False'\n\nspec:\n  subnet: 10.0.0.0/24\n";
    assertThat(splicer.splice(text, 0, status(7)))
        .isEqualTo("kind: Site\n" + NEW_STATUS + "\nspec:\n  subnet: 10.0.0.0/24\n");
  }

  @Test
  void replacesFlowStyleEmptyStatus() {
    String text = "kind: Site\nstatus: {}\nspec: {}\n";
    assertThat(splicer.splice(text, 0, status(7)))
        .isEqualTo("kind: Site\n" + NEW_STATUS + "spec: {}\n");
  }

  @Test
  void writesAnEmptyStatusAsFlowBraces() {
    String text = "kind: Site\nstatus:\n  a: 1\n";
    assertThat(splicer.splice(text, 0, JsonNodeFactory.instance.objectNode()))
        .isEqualTo("kind: Site\nstatus: {}\n");
  }

  @Test
  void commentIndentedUnderStatusBelongsToIt() {
    String text =
        "kind: Site\nstatus:\n  a: 1\n  # written by switchboard\n\n    # deeper\nspec: {}\n";
    assertThat(splicer.splice(text, 0, status(7)))
        .isEqualTo("kind: Site\n" + NEW_STATUS + "spec: {}\n");
  }

  @Test
  void topLevelCommentAfterStatusIsKept() {
    String text = "kind: Site\nstatus:\n  a: 1\n\n# about spec\nspec: {}\n# end of file\n";
    assertThat(splicer.splice(text, 0, status(7)))
        .isEqualTo("kind: Site\n" + NEW_STATUS + "\n# about spec\nspec: {}\n# end of file\n");
  }

  @Test
  void addedStatusGoesBeforeTrailingTopLevelCommentsButAfterIndentedOnes() {
    String text = "kind: Site\nspec:\n  a: 1\n  # old: 2\n# trailing note\n\n";
    assertThat(splicer.splice(text, 0, status(7)))
        .isEqualTo("kind: Site\nspec:\n  a: 1\n  # old: 2\n" + NEW_STATUS + "# trailing note\n\n");
  }

  @Test
  void keepsAMissingFinalNewline() {
    assertThat(splicer.splice("kind: Site", 0, status(7)))
        .isEqualTo("kind: Site\n" + NEW_STATUS.stripTrailing());
    assertThat(splicer.splice("kind: Site\nstatus: {}", 0, status(7)))
        .isEqualTo("kind: Site\n" + NEW_STATUS.stripTrailing());
  }

  @Test
  void keepsCrlfLineEndings() {
    String text = "kind: Site\r\nstatus: {}\r\nspec:\r\n  a: 1\r\n";
    assertThat(splicer.splice(text, 0, status(7)))
        .isEqualTo("kind: Site\r\n" + NEW_STATUS.replace("\n", "\r\n") + "spec:\r\n  a: 1\r\n");
  }

  @Test
  void keepsByteOrderMark() {
    String text = "\uFEFFstatus: {}\nkind: Site\n";
    assertThat(splicer.splice(text, 0, status(7)))
        .isEqualTo("\uFEFF" + NEW_STATUS + "kind: Site\n");
  }

  @Test
  void touchesOnlyTheChosenDocument() {
    String a = "# first\nkind: Site\nstatus: {}\n";
    String b = "---\nkind: Service   # second\nmetadata: {name: \"api\"}\n";
    String c = "...\n---\n# third\nkind: Backend\nspec:\n  port: 80\n";
    String text = a + b + c;

    assertThat(splicer.splice(text, 1, status(7))).isEqualTo(a + b + NEW_STATUS + c);
    assertThat(splicer.splice(text, 0, status(7)))
        .isEqualTo("# first\nkind: Site\n" + NEW_STATUS + b + c);
  }

  @Test
  void indentsStatusLikeAnIndentedDocument() {
    String text = "---\n  kind: Site\n  spec: {}\n";
    assertThat(splicer.splice(text, 0, status(7))).isEqualTo(text + NEW_STATUS.indent(2));
  }

  @Test
  void indentsStatusLikeTheKeysUnderATagLine() {
    // The mapping starts at its tag (column 0); its keys, and so the status, are at column 2.
    String text = "---\n!x # note\n  kind: Site\n  spec: {}\n";
    assertThat(splicer.splice(text, 0, status(7))).isEqualTo(text + NEW_STATUS.indent(2));
  }

  @Test
  void appendsStatusAfterAnExplicitKeyEndingADocumentUnderATagHoldingAColon() {
    // The explicit key's null value ends at the next line's start, the "---": it stays.
    String text = "!k?:\nkind: Site\n? k:1.2\n---\nkind: Service\n";
    assertThat(splicer.splice(text, 0, status(7)))
        .isEqualTo("!k?:\nkind: Site\n? k:1.2\n" + NEW_STATUS + "---\nkind: Service\n");
  }

  @Test
  void anExplicitKeyWhoseContentIsOnTheNextLineKeepsTheMappingAtItsIndicatorsColumn() {
    // "?" then " k": the mapping's keys are at column 0, where the "?" is.
    String text = "?\n k\n: v\nkind: Site\n";
    assertThat(splicer.splice(text, 0, status(7))).isEqualTo(text + NEW_STATUS);
  }

  @Test
  void anExplicitKeyAloneOnItsLineUnderATagLineTakesTheStatusAboveItsIndicator() {
    // "!x", then "?" alone, then " k:1.2": the keys are at the "?"'s column (0), not the content's
    // (1). A status at column 1 would be read as part of the key; it goes at column 0.
    String text = "kind: Site\n---\n!x # note\n? # key below\n\n k:1.2\n";
    String spliced = splicer.splice(text, 1, status(7));
    assertThat(spliced).startsWith("kind: Site\n---\n!x # note\n");
    assertThat(splicer.readStatus(spliced, 1)).contains(status(7));
    assertThat(splicer.splice(spliced, 1, status(7))).isEqualTo(spliced);
  }

  @Test
  void quotesStringsThatWouldReadAsOtherTypes() {
    ObjectNode s = JsonNodeFactory.instance.objectNode();
    for (String tricky :
        List.of(
            "80",
            "true",
            "null",
            "yes",
            "1.5",
            "",
            " x",
            "a: b",
            "#c",
            "- d",
            "line\nbreak",
            "\u00e9t\u00e9")) {
      s.put("k" + s.size(), tricky);
    }
    String out = splicer.splice("kind: Site\n", 0, s);
    assertThat(splicer.readStatus(out, 0)).contains(s);
  }

  @Test
  void refusesWhatItCannotRewriteInPlace() {
    assertThatThrownBy(() -> splicer.splice("{kind: Site}\n", 0, status(1)))
        .hasMessageContaining("flow");
    assertThatThrownBy(() -> splicer.splice("kind: [\n", 0, status(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> splicer.splice("kind: Site\n", 3, status(1)))
        .hasMessageContaining("no document 3");
    assertThatThrownBy(() -> splicer.splice("- a\n", 0, status(1)))
        .hasMessageContaining("not a mapping");
  }

  @Test
  void splicingTheSameStatusTwiceIsANoOp() {
    String once = splicer.splice("kind: Site\nspec: {}\n", 0, status(7));
    assertThat(splicer.splice(once, 0, status(7))).isEqualTo(once);
  }

  // ---- property test ------------------------------------------------------------------------

  @Test
  void spliceKeepsEveryByteOutsideTheStatusOverManyGeneratedFiles() {
    Random random = new Random(20240611);
    for (int run = 0; run < 400; run++) {
      Generated file = generate(random);
      int target = file.indexes.get(random.nextInt(file.indexes.size()));
      ObjectNode newStatus = randomStatus(random);
      ParsedFile before = parser.parse(file.text);
      assertThat(before.error()).as(file.text).isEmpty();

      String after = splicer.splice(file.text, target, newStatus);

      ParsedFile reparsed = parser.parse(after);
      assertThat(reparsed.error()).as(after).isEmpty();
      assertThat(reparsed.documents()).hasSameSizeAs(before.documents());
      for (int i = 0; i < before.documents().size(); i++) {
        ParsedDocument o = before.documents().get(i);
        ParsedDocument n = reparsed.documents().get(i);
        assertThat(n.generation()).isEqualTo(o.generation());
        assertThat(n.document().get("spec")).isEqualTo(o.document().get("spec"));
        JsonNode expectedStatus = o.index() == target ? newStatus : o.document().get("status");
        assertThat(canonical(n.document().get("status")))
            .as(after)
            .isEqualTo(canonical(expectedStatus));
      }
      // Outside the status span of the target document, text is byte-identical.
      ParsedDocument.Spans spans = before.document(target).get().spans();
      String eol = StatusSplicer.lineEnding(file.text);
      if (spans.hasStatus()) {
        int from = file.text.lastIndexOf('\n', spans.statusKeyStart() - 1) + 1;
        if (from == 0 && file.text.startsWith("\uFEFF")) {
          from = 1;
        }
        int ownedEnd = StatusSplicer.ownedEnd(file.text, spans.statusValueEnd(), spans.indent());
        String prefix = file.text.substring(0, from);
        String suffix = file.text.substring(ownedEnd);
        assertThat(after).startsWith(prefix).endsWith(suffix);
        String middle = after.substring(prefix.length(), after.length() - suffix.length());
        assertThat(middle).isEqualTo(StatusSplicer.render(newStatus, spans.indent(), eol));
      } else {
        int ownedEnd = StatusSplicer.ownedEnd(file.text, spans.end(), spans.indent());
        String rendered = StatusSplicer.render(newStatus, spans.indent(), eol);
        String head = file.text.substring(0, ownedEnd);
        String tail = file.text.substring(ownedEnd);
        String expected =
            tail.startsWith(eol)
                ? head + eol + rendered + eol + tail.substring(eol.length())
                : head + eol + rendered + tail;
        assertThat(after).as(file.text).isEqualTo(expected);
      }
      // A second splice of the same status changes nothing.
      assertThat(splicer.splice(after, target, newStatus)).isEqualTo(after);
    }
  }

  private static String canonical(JsonNode node) {
    return node == null ? "absent" : Generations.canonical(node);
  }

  private record Generated(String text, List<Integer> indexes) {}

  private static Generated generate(Random r) {
    boolean crlf = r.nextInt(4) == 0;
    StringBuilder out = new StringBuilder();
    if (r.nextInt(8) == 0) {
      out.append('\uFEFF');
    }
    List<Integer> indexes = new ArrayList<>();
    int documents = 1 + r.nextInt(3);
    int index = 0;
    for (int d = 0; d < documents; d++) {
      if (d > 0 || r.nextBoolean()) {
        out.append(r.nextInt(5) == 0 ? "--- # doc\n" : "---\n");
      }
      if (d > 0 && r.nextInt(6) == 0) {
        out.append("# an empty document\n---\n");
        index++;
      }
      if (r.nextBoolean()) {
        out.append("# comment before document ").append(d).append('\n');
      }
      List<String> keys = new ArrayList<>(List.of("apiVersion", "kind", "metadata", "spec"));
      if (r.nextInt(3) > 0) {
        keys.add(r.nextInt(keys.size() + 1), "status");
      }
      for (String key : keys) {
        out.append(entry(key, d, r));
        if (r.nextInt(4) == 0) {
          out.append(r.nextBoolean() ? "\n" : "# top-level comment\n");
        }
        if (r.nextInt(5) == 0) {
          out.append("  # indented comment\n");
        }
      }
      if (r.nextInt(4) == 0) {
        out.append("# trailing comment\n");
      }
      indexes.add(index++);
      if (r.nextInt(5) == 0) {
        out.append("...\n");
      }
    }
    String text = out.toString();
    if (r.nextInt(5) == 0) {
      text = text.stripTrailing();
    }
    if (crlf) {
      text = text.replace("\n", "\r\n");
    }
    return new Generated(text, indexes);
  }

  private static String entry(String key, int d, Random r) {
    return switch (key) {
      case "apiVersion" ->
          r.nextBoolean()
              ? "apiVersion: switchboard.acecinema.fr/v1alpha1\n"
              : "apiVersion: 'switchboard.acecinema.fr/v1alpha1'\n";
      case "kind" -> "kind: " + List.of("Site", "Service", "Backend").get(r.nextInt(3)) + "  # k\n";
      case "metadata" ->
          r.nextBoolean()
              ? "metadata:\n  name: \"res-" + d + "\"\n  labels:\n    tier: web\n"
              : "metadata: {name: res-" + d + "}\n";
      case "spec" ->
          switch (r.nextInt(4)) {
            case 0 ->
                "spec:\n  port: "
                    + r.nextInt(65535)
                    + "\n  hosts:\n    - a.example\n    - 'b.example'\n";
            case 1 -> "spec:\n  description: |\n    multi\n    line\n\n  weight: 3\n";
            case 2 -> "spec: {port: 80, drain: true}\n";
            default -> "spec:\n  list:\n  - x: 1\n    y: [1, 2]\n  - \"quoted # not a comment\"\n";
          };
      case "status" ->
          switch (r.nextInt(5)) {
            case 0 -> "status: {}\n";
            case 1 -> "status:\n  observedGeneration: 2\n";
            case 2 -> "status:\n  conditions:\n  - type: Ready\n    status: 'False'\n    # why\n";
            case 3 -> "status:   # ours\n  a: {b: [1, 2]}\n  c: >\n    folded\n    text\n";
            default -> "status:\n";
          };
      default -> throw new IllegalArgumentException(key);
    };
  }

  private static ObjectNode randomStatus(Random r) {
    ObjectNode s = JsonNodeFactory.instance.objectNode();
    if (r.nextInt(6) == 0) {
      return s;
    }
    s.put("observedGeneration", r.nextInt(Integer.MAX_VALUE));
    var conditions = s.putArray("conditions");
    for (int i = 0; i < r.nextInt(4); i++) {
      ObjectNode c = conditions.addObject();
      c.put("type", List.of("Ready", "Healthy", "Routed").get(i % 3));
      c.put("status", r.nextBoolean() ? "True" : "False");
      c.put(
          "message",
          List.of("ok", "port 80: connection refused", "a: b # c", "true", "").get(r.nextInt(5)));
    }
    if (r.nextBoolean()) {
      s.put("endpoints", r.nextInt(10));
    }
    return s;
  }
}
