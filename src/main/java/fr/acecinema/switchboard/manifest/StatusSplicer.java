package fr.acecinema.switchboard.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.DumperOptions;

/**
 * Replaces the top-level {@code status} of one document of a manifest's text, leaving every other
 * character as the user wrote it: comments, key order, quoting, blank lines, other documents,
 * document markers, line endings, a missing final newline, a byte-order mark. Pure: text in, text
 * out.
 *
 * <p>What belongs to the status: its key line, its value, and comment lines indented deeper than
 * the top-level keys that follow it (they sit "under" status). A comment at the top-level
 * indentation after the status belongs to what follows. A status that is absent is added after the
 * document's last content (and the comments indented under it), before any trailing top-level
 * comment.
 */
public final class StatusSplicer {
  private static final YAMLMapper YAML =
      YAMLMapper.builder(new StatusYamlFactory())
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
          .disable(YAMLGenerator.Feature.SPLIT_LINES)
          .build();

  private final ManifestParser parser;

  public StatusSplicer() {
    this(new ManifestParser());
  }

  public StatusSplicer(ManifestParser parser) {
    this.parser = parser;
  }

  /** The top-level status of document {@code documentIndex}, if the text parses and has one. */
  public Optional<JsonNode> readStatus(String text, int documentIndex) {
    ParsedFile file = parser.parse(text);
    if (file.error().isPresent()) {
      return Optional.empty();
    }
    return file.document(documentIndex)
        .filter(d -> d.problem().isEmpty())
        .map(d -> d.document().get("status"));
  }

  /**
   * {@code text} with the status of document {@code documentIndex} (0-based stream index) replaced
   * by {@code status}, or added when absent.
   *
   * @throws IllegalArgumentException when the text does not parse, the document does not exist or
   *     is not a block mapping, or the status key cannot be rewritten in place
   */
  public String splice(String text, int documentIndex, ObjectNode status) {
    return spliceAll(text, Map.of(documentIndex, status));
  }

  /**
   * {@code text} with the status of each listed document replaced (or added), parsed once and
   * verified once however many documents change: a file's statuses are written together.
   *
   * @param statuses new status by 0-based document index
   * @throws IllegalArgumentException as {@link #splice}, for the first document that cannot take
   *     its status
   */
  public String spliceAll(String text, Map<Integer, ObjectNode> statuses) {
    ParsedFile file = parser.parse(text);
    if (file.error().isPresent()) {
      throw new IllegalArgumentException(
          "cannot write status: " + file.error().get().describe("file"));
    }
    int loneCr = loneCarriageReturn(text);
    if (loneCr >= 0) {
      // YAML reads a lone CR as a line break; the splicer's lines end at LF only (found by
      // ManifestParserFuzzTest: a status landed past a `---` that followed a CR).
      throw unwritableLine(
          text,
          loneCr,
          " ends with a lone CR (old Mac line ending); save the file with LF or CRLF line"
              + " endings");
    }
    int separator = unicodeLineBreak(text);
    if (separator >= 0) {
      // YAML 1.1 (SnakeYAML) also breaks lines at NEL, LS and PS; the splicer's lines end at LF
      // only (found by ManifestParserFuzzTest: a status value holding a NEL).
      throw unwritableLine(
          text,
          separator,
          " contains a Unicode line break (U+0085, U+2028 or U+2029) that YAML reads as a"
              + " new line; remove it or write it escaped inside double quotes");
    }
    String eol = lineEnding(text);
    // Last document first: an edit never moves the offsets of the documents before it.
    List<Integer> order = new ArrayList<>(statuses.keySet());
    order.sort(Comparator.reverseOrder());
    String result = text;
    for (int index : order) {
      ParsedDocument document =
          file.document(index)
              .orElseThrow(
                  () -> new IllegalArgumentException("cannot write status: no document " + index));
      result = spliceDocument(result, document, statuses.get(index), eol);
    }
    if (!preserves(file, result, statuses)) {
      throw new IllegalStateException(
          "status splice of documents " + order + " would change other content");
    }
    return result;
  }

  private String spliceDocument(
      String text, ParsedDocument document, ObjectNode status, String eol) {
    if (document.problem().isPresent()) {
      throw new IllegalArgumentException("cannot write status: " + document.problem().get());
    }
    ParsedDocument.Spans spans = document.spans();
    if (spans.flow()) {
      throw new IllegalArgumentException(
          "cannot write status: the document is a flow mapping ({...}); write it in block style");
    }
    String block = render(status, spans.indent(), eol);
    if (spans.hasStatus()) {
      int from = lineStart(text, spans.statusKeyStart());
      if (from == 0 && text.startsWith("\uFEFF")) {
        from = 1; // the byte-order mark is not part of the status line
      }
      if (!text.substring(from, spans.statusKeyStart()).isBlank()) {
        throw new IllegalArgumentException(
            "cannot write status: the status key does not start its line");
      }
      if (spans.statusKeyStart() - from != spans.indent()) {
        // An explicit key ("?" on the line above, found by ManifestParserFuzzTest): replacing its
        // lines would leave the "?" to swallow the new status.
        throw unwritableLine(
            text,
            spans.statusKeyStart(),
            ": the status key is not a plain key at the document's indentation (an explicit '?'"
                + " key?); write it as 'status:' in line with the other top-level keys");
      }
      int ownedEnd = ownedEnd(text, spans.statusValueEnd(), spans.indent());
      int after = afterTerminator(text, ownedEnd);
      return text.substring(0, from)
          + block
          + (after > ownedEnd ? eol : "")
          + text.substring(after);
    }
    int ownedEnd = ownedEnd(text, spans.end(), spans.indent());
    int after = afterTerminator(text, ownedEnd);
    String result =
        after > ownedEnd
            ? text.substring(0, after) + block + eol + text.substring(after)
            : text.substring(0, ownedEnd) + eol + block + text.substring(ownedEnd);
    // Appended at the end, the status can be read as part of what precedes it: a block scalar
    // without a final line break, or an explicit key ("? k") waiting for its value (both found by
    // ManifestParserFuzzTest). Then it goes first in the document instead.
    if (!preserves(parser.parse(text), result, Map.of(document.index(), status))) {
      result = atDocumentStart(text, spans, block, eol);
    }
    return result;
  }

  /**
   * The status as the document's first key. Only for a document whose end cannot take it: one that
   * ends the file inside a block scalar with no final line break (a break after it would become
   * part of the scalar's value), or with an explicit key awaiting its value (found by
   * ManifestParserFuzzTest).
   */
  private static String atDocumentStart(
      String text, ParsedDocument.Spans spans, String block, String eol) {
    // The mapping's tag or anchor may stand alone on the lines above its first key ("!x # note",
    // then "? k"): the status goes on the first key's line, inside the mapping the properties
    // apply to (found by ManifestParserFuzzTest; tags may hold ':' and '?', so this is read from
    // the parse, not from the text).
    int keys = spans.firstKeyStart() >= 0 ? spans.firstKeyStart() : spans.start();
    int from = lineStart(text, keys);
    if (from == 0 && text.startsWith("\uFEFF")) {
      from = 1;
    }
    String before = text.substring(from, Math.max(from, keys)).strip();
    if (!before.isEmpty() && !before.equals("?")) {
      throw new IllegalArgumentException(
          "cannot write status: the file ends inside a block scalar (| or >) without a final"
              + " line break; add a line break at the end of the file");
    }
    return text.substring(0, from) + block + eol + text.substring(from);
  }

  /**
   * Re-reads the result: same documents, same content but the new statuses. A splice that would
   * change anything else is a bug, and must never reach a user's file.
   */
  private boolean preserves(ParsedFile oldFile, String after, Map<Integer, ObjectNode> statuses) {
    ParsedFile newFile = parser.parse(after);
    boolean ok =
        newFile.error().isEmpty() && oldFile.documents().size() == newFile.documents().size();
    for (int i = 0; ok && i < oldFile.documents().size(); i++) {
      ParsedDocument o = oldFile.documents().get(i);
      ParsedDocument n = newFile.documents().get(i);
      ObjectNode expected = o.document().deepCopy();
      ObjectNode status = statuses.get(o.index());
      if (status != null) {
        expected.set("status", status);
      }
      ok =
          o.index() == n.index()
              && Generations.canonical(expected).equals(Generations.canonical(n.document()));
    }
    return ok;
  }

  /** The status as block YAML lines at {@code indent}, joined by {@code eol}, no final break. */
  static String render(ObjectNode status, int indent, String eol) {
    ObjectNode wrapper = JsonNodeFactory.instance.objectNode();
    wrapper.set("status", status);
    String yaml;
    try {
      yaml = YAML.writeValueAsString(wrapper);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("status cannot be written as YAML", e);
    }
    String[] lines = yaml.replace("\r\n", "\n").split("\n");
    String pad = " ".repeat(indent);
    StringBuilder out = new StringBuilder();
    for (String line : lines) {
      if (line.isEmpty()) {
        continue;
      }
      if (!out.isEmpty()) {
        out.append(eol);
      }
      out.append(pad).append(line);
    }
    return out.toString();
  }

  /**
   * Writes a string double-quoted (escaped, on one line) when Jackson would write it in a form that
   * does not read back the same once spliced: a literal block ({@code |+}, {@code |-}) for text
   * with line breaks, whose chomping takes in the blank lines that follow in the file; a plain
   * scalar that the YAML 1.2 core schema reads as a number ({@code 0x10}, {@code 1e5}, {@code
   * .inf}); or raw characters YAML folds or drops (NEL, line/paragraph separators, BOM, control
   * characters). Found by ManifestParserFuzzTest.
   */
  private static final class StatusYamlFactory extends YAMLFactory {
    @Override
    protected YAMLGenerator _createGenerator(Writer out, IOContext context) throws IOException {
      return new YAMLGenerator(
          context,
          _generatorFeatures,
          _yamlGeneratorFeatures,
          _quotingChecker,
          _objectCodec,
          out,
          _version) {
        @Override
        public void writeString(String text) throws IOException {
          if (text != null && mustDoubleQuote(text)) {
            _verifyValueWrite("write String value");
            _writeScalar(text, "string", DumperOptions.ScalarStyle.DOUBLE_QUOTED);
          } else {
            super.writeString(text);
          }
        }
      };
    }

    private static boolean mustDoubleQuote(String text) {
      if (!ManifestParser.readsAsString(text)) {
        return true;
      }
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c < 0x20
            || (c >= 0x7f && c <= 0x9f)
            || c == '\u2028'
            || c == '\u2029'
            || c == '\uFEFF') {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * Refuses a file because of the character at {@code at}, named by its 1-based LF-counted line
   * (the numbering editors show) and {@code problem}.
   */
  private static IllegalArgumentException unwritableLine(String text, int at, String problem) {
    long line = text.substring(0, at).chars().filter(c -> c == '\n').count() + 1;
    return new IllegalArgumentException("cannot write status: line " + line + problem);
  }

  /** Index of the first NEL, LS or PS character, -1 when none. */
  static int unicodeLineBreak(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\u0085' || c == '\u2028' || c == '\u2029') {
        return i;
      }
    }
    return -1;
  }

  /** Index of the first CR not followed by LF, -1 when none. */
  static int loneCarriageReturn(String text) {
    for (int i = text.indexOf('\r'); i >= 0; i = text.indexOf('\r', i + 1)) {
      if (i + 1 >= text.length() || text.charAt(i + 1) != '\n') {
        return i;
      }
    }
    return -1;
  }

  /** {@code \r\n} when the file's first line ends so, else {@code \n}. */
  static String lineEnding(String text) {
    int nl = text.indexOf('\n');
    return nl > 0 && text.charAt(nl - 1) == '\r' ? "\r\n" : "\n";
  }

  /**
   * End (before the line break) of the last line owned by content ending at {@code contentEnd}: the
   * rest of that line, then comment lines indented deeper than {@code indent}, across blank lines
   * between them.
   */
  static int ownedEnd(String text, int contentEnd, int indent) {
    int owned = lineEnd(text, contentEnd);
    int next = afterTerminator(text, owned);
    while (next > owned && next < text.length()) {
      int end = lineEnd(text, next);
      String line = text.substring(next, end);
      String stripped = line.stripLeading();
      if (stripped.isEmpty()) {
        next = afterTerminator(text, end);
        if (next == end) {
          break;
        }
        continue;
      }
      int lineIndent = line.length() - stripped.length();
      if (stripped.startsWith("#") && lineIndent > indent) {
        owned = end;
        next = afterTerminator(text, end);
        continue;
      }
      break;
    }
    return owned;
  }

  private static int lineStart(String text, int pos) {
    return text.lastIndexOf('\n', pos - 1) + 1;
  }

  /** Position of the line break (or end of text) of the line holding {@code pos}. */
  private static int lineEnd(String text, int pos) {
    int nl = text.indexOf('\n', pos);
    if (nl < 0) {
      return text.length();
    }
    return nl > pos && text.charAt(nl - 1) == '\r' ? nl - 1 : nl;
  }

  private static int afterTerminator(String text, int pos) {
    if (text.startsWith("\r\n", pos)) {
      return pos + 2;
    }
    if (text.startsWith("\n", pos)) {
      return pos + 1;
    }
    return pos;
  }
}
