package fr.acecinema.switchboard.validation;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.api.v1alpha1.HealthCheck;
import fr.acecinema.switchboard.util.Durations;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Checks a value against the subset of OpenAPI v3 the generated CRDs use. Unlike the Kubernetes API
 * server, an object schema without {@code additionalProperties} is closed: a misspelt field is an
 * error with a suggestion, never silently dropped.
 */
final class SchemaWalker {
  /** Keywords this walker implements or may safely ignore; anything else fails at load time. */
  static final Set<String> KEYWORDS =
      Set.of(
          "type",
          "properties",
          "required",
          "enum",
          "pattern",
          "minimum",
          "maximum",
          "minItems",
          "maxItems",
          "minLength",
          "maxLength",
          "items",
          "additionalProperties",
          "x-kubernetes-preserve-unknown-fields",
          "nullable",
          "description",
          "default",
          "format");

  private final Map<String, Pattern> patterns = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Throws when {@code schema} uses a keyword this walker does not implement, so a constraint added
   * to the model can never be skipped silently.
   */
  static void checkSupported(JsonNode schema, String where) {
    Iterator<String> names = schema.fieldNames();
    while (names.hasNext()) {
      String k = names.next();
      if (!KEYWORDS.contains(k)) {
        throw new IllegalStateException(
            "CRD schema at " + where + " uses '" + k + "', which the validator does not implement");
      }
    }
    schema
        .path("properties")
        .properties()
        .forEach(e -> checkSupported(e.getValue(), where + "." + e.getKey()));
    if (schema.path("items").isObject()) {
      checkSupported(schema.get("items"), where + "[]");
    }
    if (schema.path("additionalProperties").isObject()) {
      checkSupported(schema.get("additionalProperties"), where + ".*");
    }
  }

  void walk(JsonNode schema, JsonNode value, String path, String field, List<Problem> out) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      if (!schema.path("nullable").asBoolean(false)) {
        out.add(new Problem(path, "has no value", "give it a value or delete the line"));
      }
      return;
    }
    String type = schema.path("type").asText("");
    if (!type.isEmpty() && !hasType(value, type)) {
      out.add(typeMismatch(type, value, path, field));
      return;
    }
    switch (type) {
      case "object" -> walkObject(schema, value, path, out);
      case "array" -> walkArray(schema, value, path, field, out);
      case "string" -> checkString(schema, value.asText(), path, out);
      case "integer", "number" -> checkNumber(schema, value, path, field, out);
      default -> {}
    }
    checkEnum(schema, value, path, out);
  }

  private void walkObject(JsonNode schema, JsonNode value, String path, List<Problem> out) {
    JsonNode props = schema.path("properties");
    for (JsonNode r : schema.path("required")) {
      String name = r.asText();
      if (!value.has(name)) {
        String desc = props.path(name).path("description").asText("");
        out.add(
            new Problem(
                Paths.child(path, name),
                "required field missing",
                "add " + name + ":" + (desc.isEmpty() ? "" : " (" + desc + ")")));
      }
    }
    JsonNode extra = schema.get("additionalProperties");
    boolean open = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    List<String> known = new ArrayList<>();
    props.fieldNames().forEachRemaining(known::add);
    for (Map.Entry<String, JsonNode> e : value.properties()) {
      String name = e.getKey();
      String childPath = Paths.child(path, name);
      if (props.has(name)) {
        walk(props.get(name), e.getValue(), childPath, name, out);
      } else if (extra != null && extra.isObject()) {
        walk(extra, e.getValue(), childPath, name, out);
      } else if (!open && !(extra != null && extra.asBoolean(false))) {
        out.add(unknownField(childPath, name, known));
      }
    }
  }

  static Problem unknownField(String path, String name, List<String> known) {
    return new Problem(
        path,
        "unknown field",
        Hints.closest(name, known)
            .map(s -> "did you mean '" + s + "'?")
            .orElse(
                known.isEmpty()
                    ? "remove it"
                    : "remove it; the fields here are "
                        + known.stream().sorted().collect(Collectors.joining(", "))));
  }

  private void walkArray(
      JsonNode schema, JsonNode value, String path, String field, List<Problem> out) {
    int n = value.size();
    if (schema.has("minItems") && n < schema.get("minItems").asInt()) {
      int min = schema.get("minItems").asInt();
      out.add(
          new Problem(
              path,
              n == 0 ? "the list is empty" : "the list has " + n + " items, fewer than " + min,
              "list at least " + min + " item" + (min == 1 ? "" : "s")));
    }
    if (schema.has("maxItems") && n > schema.get("maxItems").asInt()) {
      int max = schema.get("maxItems").asInt();
      out.add(
          new Problem(
              path,
              "the list has " + n + " items, more than " + max,
              "list at most " + max + " items"));
    }
    JsonNode items = schema.get("items");
    if (items != null && items.isObject()) {
      for (int i = 0; i < n; i++) {
        walk(items, value.get(i), Paths.index(path, i), field, out);
      }
    }
  }

  private void checkString(JsonNode schema, String text, String path, List<Problem> out) {
    if (schema.has("minLength") && text.length() < schema.get("minLength").asInt()) {
      out.add(
          new Problem(
              path,
              "'" + text + "' is shorter than " + schema.get("minLength").asInt() + " characters",
              "write a longer value"));
    }
    if (schema.has("maxLength") && text.length() > schema.get("maxLength").asInt()) {
      out.add(
          new Problem(
              path,
              "the value is longer than " + schema.get("maxLength").asInt() + " characters",
              "shorten it"));
    }
    if (!schema.has("pattern")) {
      return;
    }
    String p = schema.get("pattern").asText();
    if (!patterns.computeIfAbsent(p, Pattern::compile).matcher(text).find()) {
      Hints.PatternHint hint =
          Hints.pattern(p)
              .orElse(
                  new Hints.PatternHint(
                      "does not match the pattern " + p,
                      schema.path("description").asText("see the field's description")));
      out.add(new Problem(path, "'" + text + "' " + hint.meaning(), hint.fix()));
    } else if (p.equals(HealthCheck.DURATION_PATTERN)) {
      try {
        Durations.parse(text);
      } catch (IllegalArgumentException e) {
        out.add(new Problem(path, e.getMessage(), "write e.g. 500ms, 2s or 1m30s"));
      }
    }
  }

  private void checkNumber(
      JsonNode schema, JsonNode value, String path, String field, List<Problem> out) {
    BigDecimal v = value.decimalValue();
    BigDecimal min = schema.has("minimum") ? schema.get("minimum").decimalValue() : null;
    BigDecimal max = schema.has("maximum") ? schema.get("maximum").decimalValue() : null;
    String range =
        min != null && max != null
            ? "use " + Hints.noun(field) + " between " + plain(min) + " and " + plain(max)
            : min != null
                ? "use " + Hints.noun(field) + " of at least " + plain(min)
                : max != null ? "use " + Hints.noun(field) + " of at most " + plain(max) : "";
    if (min != null && v.compareTo(min) < 0) {
      out.add(new Problem(path, value.asText() + " is below the minimum " + plain(min), range));
    } else if (max != null && v.compareTo(max) > 0) {
      out.add(new Problem(path, value.asText() + " is above the maximum " + plain(max), range));
    }
  }

  private static void checkEnum(JsonNode schema, JsonNode value, String path, List<Problem> out) {
    JsonNode e = schema.get("enum");
    if (e == null || !e.isArray()) {
      return;
    }
    List<String> allowed = new ArrayList<>();
    for (JsonNode a : e) {
      if (a.equals(value)) {
        return;
      }
      allowed.add(a.asText());
    }
    String list = String.join(", ", allowed);
    out.add(
        new Problem(
            path,
            "'" + value.asText() + "' is not one of " + list,
            Hints.closest(value.asText(), allowed)
                .map(s -> "did you mean '" + s + "'?")
                .orElse("write one of " + list)));
  }

  private static boolean hasType(JsonNode v, String type) {
    return switch (type) {
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "string" -> v.isTextual();
      case "integer" -> v.isIntegralNumber();
      case "number" -> v.isNumber();
      case "boolean" -> v.isBoolean();
      default -> true;
    };
  }

  private static Problem typeMismatch(String type, JsonNode v, String path, String field) {
    String message = "expected " + Hints.typeName(type) + ", got " + Hints.describe(v);
    String text = v.asText();
    String fix =
        switch (type) {
          case "integer" ->
              v.isTextual() && text.matches("-?[0-9]+")
                  ? "write " + text + " without quotes"
                  : v.isNumber()
                      ? "write a whole number, without decimals"
                      : "write a whole number";
          case "number" ->
              v.isTextual() && text.matches("-?[0-9]+(\\.[0-9]+)?")
                  ? "write " + text + " without quotes"
                  : "write a number";
          case "boolean" ->
              v.isTextual() && (text.equals("true") || text.equals("false"))
                  ? "write " + text + " without quotes"
                  : "write true or false";
          case "string" ->
              v.isValueNode()
                  ? "quote it: \"" + text + "\""
                  : "write a single value, not " + Hints.describe(v);
          case "array" ->
              v.isValueNode()
                  ? "write a list, e.g. " + field + ": [" + text + "]"
                  : "write a list, one '- item' line per entry";
          case "object" -> "write a mapping: indented 'key: value' lines under " + field + ":";
          default -> "write " + Hints.typeName(type);
        };
    return new Problem(path, message, fix);
  }

  private static String plain(BigDecimal d) {
    return d.stripTrailingZeros().toPlainString();
  }
}
