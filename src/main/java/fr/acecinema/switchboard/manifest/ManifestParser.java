package fr.acecinema.switchboard.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads a manifest file's text into documents with their positions, using SnakeYAML's node API so
 * that every document and its top-level {@code status} can be located in the text. Never throws on
 * bad input: problems come back as a {@link SyntaxError} or a per-document problem.
 *
 * <p>Scalars are resolved with the YAML 1.2 core schema ({@code yes}, {@code on} stay strings),
 * aliases are expanded within bounds, duplicate keys are errors.
 */
public final class ManifestParser {
  /** Default largest file accepted, 4 MiB: manifests are small, anything bigger is a mistake. */
  public static final long DEFAULT_MAX_BYTES = 4L * 1024 * 1024;

  private static final int MAX_ALIASES = 50;
  private static final int MAX_DEPTH = 64;
  private static final int MAX_EXPANDED_NODES = 200_000;

  private final long maxBytes;

  public ManifestParser() {
    this(DEFAULT_MAX_BYTES);
  }

  public ManifestParser(long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive");
    }
    this.maxBytes = maxBytes;
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** Result of decoding a file's bytes: its text, or why it is not a text file. */
  public record Decoded(String text, Optional<SyntaxError> error) {}

  /** Decodes bytes as strict UTF-8, checking size and binary content first. */
  public Decoded decode(byte[] bytes) {
    if (bytes.length > maxBytes) {
      return failure(
          "file is "
              + bytes.length
              + " bytes, larger than the limit of "
              + maxBytes
              + " bytes; split it into several files");
    }
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == 0) {
        return failure(
            "file contains a NUL byte at byte offset " + i + ": a binary file, not YAML text");
      }
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      return failure(
          "file is not valid UTF-8 (bad byte at offset "
              + in.position()
              + "); save it as UTF-8 text");
    }
    out.flip();
    return new Decoded(out.toString(), Optional.empty());
  }

  private static Decoded failure(String problem) {
    return new Decoded("", Optional.of(new SyntaxError(0, 0, problem)));
  }

  /** Parses a file's raw bytes: size, encoding, then YAML. */
  public ParsedFile parse(byte[] bytes) {
    Decoded decoded = decode(bytes);
    if (decoded.error().isPresent()) {
      return new ParsedFile(List.of(), decoded.error());
    }
    return parse(decoded.text());
  }

  /** Parses a file's text (a leading BOM is allowed and counted in offsets). */
  public ParsedFile parse(String text) {
    if (text.length() > maxBytes) {
      return new ParsedFile(
          List.of(),
          Optional.of(
              new SyntaxError(
                  0,
                  0,
                  "file is "
                      + text.length()
                      + " characters, larger than the limit of "
                      + maxBytes
                      + " bytes; split it into several files")));
    }
    Offsets offsets = new Offsets(text);
    List<ParsedDocument> documents = new ArrayList<>();
    Composer composer = composer(text);
    int index = 0;
    try {
      while (composer.checkNode()) {
        Node root = composer.getNode();
        if (root != null && !isEmpty(root)) {
          documents.add(document(index, root, offsets));
        }
        index++;
      }
    } catch (MarkedYAMLException e) {
      return new ParsedFile(documents, Optional.of(error(e)));
    } catch (YAMLException e) {
      return new ParsedFile(documents, Optional.of(new SyntaxError(0, 0, clean(e.getMessage()))));
    } catch (RuntimeException | StackOverflowError e) {
      // SnakeYAML may fail on pathological input in ways it does not declare; the file is bad,
      // the process must go on.
      return new ParsedFile(
          documents,
          Optional.of(new SyntaxError(0, 0, "cannot read as YAML: " + e.getClass().getName())));
    }
    return new ParsedFile(documents, Optional.empty());
  }

  private Composer composer(String text) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(MAX_ALIASES);
    options.setNestingDepthLimit(MAX_DEPTH);
    options.setAllowRecursiveKeys(false);
    options.setCodePointLimit((int) Math.min(Integer.MAX_VALUE, Math.max(maxBytes, 1024)));
    return new Composer(
        new ParserImpl(new StreamReader(new StringReader(text)), options),
        new CoreSchemaResolver(),
        options);
  }

  private static boolean isEmpty(Node root) {
    return root instanceof ScalarNode s
        && Tag.NULL.equals(s.getTag())
        && s.getValue().isEmpty()
        && s.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN;
  }

  private static SyntaxError error(MarkedYAMLException e) {
    Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
    String problem = e.getProblem() != null ? e.getProblem() : e.getContext();
    if (mark == null) {
      return new SyntaxError(0, 0, clean(problem));
    }
    return new SyntaxError(mark.getLine() + 1, mark.getColumn() + 1, clean(problem));
  }

  private static String clean(String message) {
    if (message == null || message.isBlank()) {
      return "invalid YAML";
    }
    return message.strip().replaceAll("\\s+", " ");
  }

  private ParsedDocument document(int index, Node root, Offsets offsets) {
    int line = root.getStartMark().getLine() + 1;
    int start = offsets.chars(root.getStartMark());
    int end = leafEnd(root, offsets);
    if (!(root instanceof MappingNode mapping)) {
      String what = root instanceof SequenceNode ? "a list" : "a single value";
      ParsedDocument.Spans spans = new ParsedDocument.Spans(start, end, 0, false, -1, -1, -1, -1);
      return new ParsedDocument(
          index,
          line,
          JsonNodeFactory.instance.objectNode(),
          null,
          null,
          null,
          0,
          Optional.of(
              "(document): is "
                  + what
                  + ", not a mapping; a manifest document starts with apiVersion:, kind:,"
                  + " metadata: and spec:"),
          spans);
    }
    ObjectNode json = (ObjectNode) new Converter().convert(root, 0);
    int statusKeyStart = -1;
    int statusValueEnd = -1;
    int nextKeyStart = -1;
    List<NodeTuple> tuples = mapping.getValue();
    for (int i = 0; i < tuples.size(); i++) {
      NodeTuple tuple = tuples.get(i);
      if (tuple.getKeyNode() instanceof ScalarNode key && "status".equals(key.getValue())) {
        statusKeyStart = offsets.chars(key.getStartMark());
        statusValueEnd = Math.max(leafEnd(key, offsets), leafEnd(tuple.getValueNode(), offsets));
        if (i + 1 < tuples.size()) {
          nextKeyStart = offsets.chars(tuples.get(i + 1).getKeyNode().getStartMark());
        }
      }
    }
    int indent = keyIndent(mapping, offsets);
    boolean flow = mapping.getFlowStyle() == DumperOptions.FlowStyle.FLOW;
    ParsedDocument.Spans spans =
        new ParsedDocument.Spans(
            start,
            end,
            indent,
            flow,
            statusKeyStart,
            statusValueEnd,
            nextKeyStart,
            propertiesAbove(mapping, offsets));
    return new ParsedDocument(
        index,
        line,
        json,
        text(json, "kind"),
        text(json, "apiVersion"),
        text(json.get("metadata"), "name"),
        Generations.of(json),
        Optional.empty(),
        spans);
  }

  private static String text(JsonNode node, String field) {
    if (node == null || !node.isObject()) {
      return null;
    }
    JsonNode value = node.get(field);
    return value != null && value.isTextual() ? value.asText() : null;
  }

  /**
   * Where a node's content really ends, as a char offset. SnakeYAML ends a block collection at the
   * next token, past trailing comments and blank lines, so the end is taken from its last leaf.
   */
  static int leafEnd(Node node, Offsets offsets) {
    if (node instanceof MappingNode m
        && m.getFlowStyle() != DumperOptions.FlowStyle.FLOW
        && !m.getValue().isEmpty()) {
      NodeTuple last = m.getValue().get(m.getValue().size() - 1);
      return Math.max(leafEnd(last.getKeyNode(), offsets), leafEnd(last.getValueNode(), offsets));
    }
    if (node instanceof SequenceNode s
        && s.getFlowStyle() != DumperOptions.FlowStyle.FLOW
        && !s.getValue().isEmpty()) {
      return leafEnd(s.getValue().get(s.getValue().size() - 1), offsets);
    }
    int end = offsets.chars(node.getEndMark());
    if (node instanceof ScalarNode s
        && (s.getScalarStyle() == DumperOptions.ScalarStyle.LITERAL
            || s.getScalarStyle() == DumperOptions.ScalarStyle.FOLDED)) {
      // A block scalar's end includes its final line breaks; its content ends before them.
      int start = offsets.chars(node.getStartMark());
      while (end > start && Character.isWhitespace(offsets.text.charAt(end - 1))) {
        end--;
      }
    } else if (node instanceof ScalarNode s && s.getValue().isEmpty()) {
      // An empty value (an explicit key "? k" with no ":") is marked at the next token, the start
      // of a following line, which may be a "---" that belongs to no document's content (found
      // by ManifestParserFuzzTest): its content ends before those line breaks.
      while (end > 0
          && (offsets.text.charAt(end - 1) == '\n' || offsets.text.charAt(end - 1) == '\r')) {
        end--;
      }
    }
    return end;
  }

  /**
   * Column of a block mapping's keys. Usually where the mapping starts; not when a tag or anchor
   * stands alone on the line above the first key ({@code !x # note}, then {@code " k: v"}): the
   * node starts at the tag, its keys are indented on the lines below (found by
   * ManifestParserFuzzTest). Then the first key's line is read, not the key's own column, which is
   * past the indicator of an explicit key ({@code ? k}). An explicit key whose content is on the
   * next line ({@code ?} then {@code " k"}) starts at the {@code ?}: its column (found by the
   * fuzzer too).
   */
  private static int keyIndent(MappingNode mapping, Offsets offsets) {
    int first = propertiesAbove(mapping, offsets);
    return first < 0 ? mapping.getStartMark().getColumn() : offsets.leadingSpaces(first);
  }

  /**
   * Where the first key of {@code mapping} starts when the mapping's tag or anchor stands on the
   * lines above it; -1 otherwise.
   */
  private static int propertiesAbove(MappingNode mapping, Offsets offsets) {
    Mark start = mapping.getStartMark();
    if (mapping.getValue().isEmpty()) {
      return -1;
    }
    Mark key = mapping.getValue().get(0).getKeyNode().getStartMark();
    char at = offsets.charAt(offsets.chars(start));
    if (key.getLine() == start.getLine() || (at != '!' && at != '&')) {
      return -1;
    }
    return offsets.explicitIndicatorAbove(offsets.chars(key));
  }

  /** Maps SnakeYAML's code-point indexes to Java char indexes (they differ past emoji etc.). */
  static final class Offsets {
    private final String text;
    private final boolean surrogates;

    Offsets(String text) {
      this.text = text;
      this.surrogates = text.codePoints().count() != text.length();
    }

    int chars(Mark mark) {
      int codePoints = Math.min(mark.getIndex(), text.codePointCount(0, text.length()));
      return surrogates ? text.offsetByCodePoints(0, codePoints) : codePoints;
    }

    /** The char at {@code pos}, or NUL past the end. */
    char charAt(int pos) {
      return pos < text.length() ? text.charAt(pos) : '\0';
    }

    /**
     * Where the {@code ?} of an explicit key stands when it is alone on a line above the key's
     * content at {@code key} ({@code ?}, blank or comment lines, then {@code " k"}); {@code key}
     * otherwise. The key starts at its indicator: the mapping's column is the {@code ?}'s, and what
     * goes before the first key goes before the {@code ?} (found by ManifestParserFuzzTest: a
     * tagged document whose first key was written so took a status inside the key).
     */
    int explicitIndicatorAbove(int key) {
      int from = text.lastIndexOf('\n', key - 1) + 1;
      if (!text.substring(from, key).isBlank()) {
        return key;
      }
      while (from > 0) {
        int lineStart = text.lastIndexOf('\n', from - 2) + 1;
        String line = text.substring(lineStart, from - 1).strip();
        if (line.isEmpty() || line.startsWith("#")) {
          from = lineStart;
          continue;
        }
        if (line.equals("?") || line.startsWith("? #") || line.startsWith("?\t#")) {
          return text.indexOf('?', lineStart);
        }
        return key;
      }
      return key;
    }

    /** Spaces at the start of the line holding char index {@code pos}. */
    int leadingSpaces(int pos) {
      int from = text.lastIndexOf('\n', pos - 1) + 1;
      int i = from;
      while (i < pos && text.charAt(i) == ' ') {
        i++;
      }
      return i - from;
    }
  }

  private static final CoreSchemaResolver RESOLVER = new CoreSchemaResolver();

  /** Whether {@code value}, written unquoted, reads back as a string (not 0x10, .inf, true, ~). */
  static boolean readsAsString(String value) {
    return Tag.STR.equals(RESOLVER.resolve(NodeId.scalar, value, true));
  }

  /** Builds Jackson nodes from SnakeYAML nodes, expanding aliases within a budget. */
  private static final class Converter {
    private int budget = MAX_EXPANDED_NODES;

    JsonNode convert(Node node, int depth) {
      if (--budget < 0 || depth > MAX_DEPTH) {
        throw new MarkedYAMLException(
            null,
            null,
            "document expands to too many or too deeply nested values (aliases?)",
            node.getStartMark()) {};
      }
      JsonNodeFactory f = JsonNodeFactory.instance;
      if (node instanceof MappingNode m) {
        ObjectNode object = f.objectNode();
        Map<String, Node> seen = new HashMap<>();
        for (NodeTuple tuple : m.getValue()) {
          Node keyNode = tuple.getKeyNode();
          if (!(keyNode instanceof ScalarNode key)) {
            throw new MarkedYAMLException(
                null, null, "a mapping key must be a plain value", keyNode.getStartMark()) {};
          }
          String name = key.getValue();
          Node previous = seen.putIfAbsent(name, keyNode);
          if (previous != null) {
            throw new MarkedYAMLException(
                null,
                null,
                "duplicate key '"
                    + name
                    + "' (first at line "
                    + (previous.getStartMark().getLine() + 1)
                    + "); remove one of them",
                keyNode.getStartMark()) {};
          }
          object.set(name, convert(tuple.getValueNode(), depth + 1));
        }
        return object;
      }
      if (node instanceof SequenceNode s) {
        ArrayNode array = f.arrayNode();
        for (Node item : s.getValue()) {
          array.add(convert(item, depth + 1));
        }
        return array;
      }
      return scalar((ScalarNode) node);
    }

    private static JsonNode scalar(ScalarNode s) {
      JsonNodeFactory f = JsonNodeFactory.instance;
      String v = s.getValue();
      Tag tag = s.getTag();
      try {
        if (Tag.NULL.equals(tag)) {
          return f.nullNode();
        }
        if (Tag.BOOL.equals(tag)) {
          return f.booleanNode(v.equalsIgnoreCase("true"));
        }
        if (Tag.INT.equals(tag)) {
          BigInteger big = integer(v);
          return big.bitLength() < 64 ? f.numberNode(big.longValue()) : f.numberNode(big);
        }
        if (Tag.FLOAT.equals(tag)) {
          return f.numberNode(floating(v));
        }
      } catch (NumberFormatException e) {
        // an explicit !!int on a non-number: keep the text, validation will say what is wrong
      }
      return f.textNode(v);
    }

    private static BigInteger integer(String v) {
      String s = v.startsWith("+") ? v.substring(1) : v;
      if (s.startsWith("0x")) {
        return new BigInteger(s.substring(2), 16);
      }
      if (s.startsWith("0o")) {
        return new BigInteger(s.substring(2), 8);
      }
      return new BigInteger(s);
    }

    private static double floating(String v) {
      String lower = v.toLowerCase(java.util.Locale.ROOT);
      return switch (lower) {
        case ".inf", "+.inf" -> Double.POSITIVE_INFINITY;
        case "-.inf" -> Double.NEGATIVE_INFINITY;
        case ".nan" -> Double.NaN;
        default -> Double.parseDouble(v);
      };
    }
  }

  /**
   * YAML 1.2 core schema: only {@code true}/{@code false} are booleans, so a name like {@code no}
   * or {@code on} stays a string; timestamps stay strings too.
   */
  private static final class CoreSchemaResolver extends Resolver {
    private static final Pattern CORE_BOOL =
        Pattern.compile("^(?:true|True|TRUE|false|False|FALSE)$");
    private static final Pattern CORE_INT =
        Pattern.compile("^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$");
    private static final Pattern CORE_FLOAT =
        Pattern.compile(
            "^(?:[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                + "|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$");
    private static final Pattern CORE_NULL = Pattern.compile("^(?:~|null|Null|NULL|)$");

    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(Tag.BOOL, CORE_BOOL, "tTfF");
      addImplicitResolver(Tag.INT, CORE_INT, "-+0123456789");
      addImplicitResolver(Tag.FLOAT, CORE_FLOAT, "-+0123456789.");
      addImplicitResolver(Tag.NULL, CORE_NULL, "~nN\0");
    }
  }
}
