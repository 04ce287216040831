package fr.acecinema.switchboard.source.file;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import fr.acecinema.switchboard.manifest.SyntaxError;
import fr.acecinema.switchboard.source.Declaration;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.Rejection;
import fr.acecinema.switchboard.validation.DocumentValidator;
import fr.acecinema.switchboard.validation.Problem;
import io.fabric8.kubernetes.client.CustomResource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Decides whether one parsed manifest document becomes a typed resource ({@link Declaration}) or a
 * {@link Rejection} whose message names the file and line, the field, and the fix.
 */
public final class DocumentAdmission {
  /** Condition reason for a file that is not valid YAML. */
  public static final String YAML_SYNTAX_ERROR = "YamlSyntaxError";

  /** Condition reason for a file that exists but cannot be read (permissions, not a file). */
  public static final String FILE_UNREADABLE = "FileUnreadable";

  /** Condition reason for a document that is YAML but not a valid resource. */
  public static final String INVALID_SPEC = "InvalidSpec";

  private static final Map<String, Class<? extends CustomResource<?, ?>>> KINDS =
      fr.acecinema.switchboard.api.Kinds.BY_NAME;
  private static final Pattern NAME = Pattern.compile(BackendSpec.NAME_PATTERN);

  private static final ObjectMapper STRICT =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
  private static final ObjectMapper LENIENT =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Optional<DocumentValidator> validator;

  /** Admission with the built-in checks only. */
  public DocumentAdmission() {
    this(Optional.empty());
  }

  /** Admission that also runs {@code validator} (schema checks) before typing the document. */
  public DocumentAdmission(Optional<DocumentValidator> validator) {
    this.validator = validator;
  }

  /** Either an accepted declaration or a rejection. */
  public sealed interface Result {
    /** The document is a valid resource. */
    record Accepted(Declaration declaration) implements Result {}

    /** The document cannot be a resource. */
    record Rejected(Rejection rejection) implements Result {}
  }

  /** A file that could not be read: one rejection for the whole file, no status can go in it. */
  public static Rejection syntaxError(String source, String location, SyntaxError error) {
    Origin origin = new Origin(source, location, 0, Math.max(error.line(), 0));
    return new Rejection(
        null,
        origin,
        0,
        YAML_SYNTAX_ERROR,
        error.describe(location)
            + (error.line() > 0 ? "; fix the YAML syntax at that position" : ""),
        false);
  }

  /** Admits one document of the file at {@code origin}. Never throws on bad input. */
  public Result admit(Origin origin, ParsedDocument document) {
    ResourceKey key =
        document.kind() != null && document.name() != null
            ? new ResourceKey(document.kind(), document.name())
            : null;
    if (document.problem().isPresent()) {
      return reject(origin, key, document, document.problem().get(), false);
    }
    // The schema validator first: its messages are the precise ones (required field missing, did
    // you mean 'Backend'?); the checks after it keep admission safe when there is no validator.
    if (validator.isPresent()) {
      List<Problem> problems;
      try {
        problems = validator.get().validate(document.document());
      } catch (RuntimeException e) {
        problems = List.of(new Problem("(document)", "validator failed: " + e, ""));
      }
      if (!problems.isEmpty()) {
        return reject(
            origin,
            key,
            document,
            problems.stream().map(Problem::describe).collect(Collectors.joining("; ")),
            true);
      }
    }
    if (!Site.API_VERSION.equals(document.apiVersion())) {
      return rejectValue(
          origin,
          key,
          document,
          "apiVersion",
          " is not supported; use apiVersion: " + Site.API_VERSION);
    }
    Class<? extends CustomResource<?, ?>> type =
        document.kind() == null ? null : KINDS.get(document.kind());
    if (type == null) {
      return rejectValue(
          origin,
          key,
          document,
          "kind",
          " is not a Switchboard kind; use kind: " + fr.acecinema.switchboard.api.Kinds.listed());
    }
    if (document.name() == null) {
      return reject(
          origin,
          key,
          document,
          "metadata.name: missing; give the "
              + document.kind()
              + " a name, e.g. metadata.name: web-1",
          true);
    }
    if (!NAME.matcher(document.name()).matches()) {
      return reject(
          origin,
          key,
          document,
          "metadata.name: '"
              + document.name()
              + "' is not a valid name; use lower-case letters, digits and '-', at most 63"
              + " characters, starting and ending with a letter or digit",
          true);
    }
    ObjectNode declared = document.document().deepCopy();
    JsonNode status = declared.remove("status");
    CustomResource<?, ?> resource;
    try {
      resource = STRICT.treeToValue(declared, type);
    } catch (JsonMappingException e) {
      return reject(origin, key, document, describe(e), true);
    } catch (Exception e) {
      return reject(origin, key, document, "cannot read the document: " + e.getMessage(), true);
    }
    resource.getMetadata().setGeneration(document.generation());
    readStatus(resource, status);
    return new Result.Accepted(new Declaration(key, origin, resource));
  }

  /**
   * Keeps the status found in the file (what was last written), so conditions keep their transition
   * times across restarts. A status that does not read is simply ignored: it is ours to rewrite.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void readStatus(CustomResource resource, JsonNode status) {
    if (status == null || !status.isObject() || resource.getStatus() == null) {
      return;
    }
    try {
      resource.setStatus(LENIENT.treeToValue(status, resource.getStatus().getClass()));
    } catch (Exception e) {
      // ignored on purpose, see above
    }
  }

  private static Result reject(
      Origin origin, ResourceKey key, ParsedDocument document, String problem, boolean writable) {
    String subject = key == null ? "" : key + ": ";
    return new Result.Rejected(
        new Rejection(
            key,
            origin,
            document.generation(),
            INVALID_SPEC,
            origin.describe() + ": " + subject + problem,
            writable));
  }

  /**
   * A rejection that quotes {@code field} as written (or says it is missing), then {@code advice}.
   */
  private static Result rejectValue(
      Origin origin, ResourceKey key, ParsedDocument document, String field, String advice) {
    return reject(
        origin, key, document, field + ": " + shown(document.document().get(field)) + advice, true);
  }

  private static String shown(JsonNode value) {
    return value == null || value.isNull() ? "(missing)" : "'" + value.asText() + "'";
  }

  /** {@code spec.healthCheck.intervl: unknown field; known fields: ...; fix the spelling}. */
  static String describe(JsonMappingException e) {
    String path = path(e.getPath());
    if (e instanceof UnrecognizedPropertyException u) {
      String known =
          u.getKnownPropertyIds() == null
              ? ""
              : u.getKnownPropertyIds().stream()
                  .map(Object::toString)
                  .sorted()
                  .collect(Collectors.joining(", "));
      return path
          + ": unknown field; fix its spelling or remove it"
          + (known.isEmpty() ? "" : " (known fields here: " + known + ")");
    }
    if (e instanceof InvalidFormatException f) {
      return path
          + ": "
          + shownValue(f.getValue())
          + " is not a valid "
          + typeName(f.getTargetType())
          + "; use a "
          + typeName(f.getTargetType());
    }
    if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
      return path
          + ": wrong type, expected a "
          + typeName(m.getTargetType())
          + "; write a "
          + typeName(m.getTargetType())
          + " here";
    }
    return path + ": " + e.getOriginalMessage();
  }

  private static String shownValue(Object value) {
    return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
  }

  private static String typeName(Class<?> type) {
    if (type == null) {
      return "value";
    }
    if (type.isEnum()) {
      return "value among "
          + java.util.Arrays.stream(type.getEnumConstants())
              .map(c -> enumName((Enum<?>) c))
              .collect(Collectors.joining(", "));
    }
    if (Number.class.isAssignableFrom(type) || (type.isPrimitive() && type != boolean.class)) {
      return Integer.class.equals(type) || Long.class.equals(type) ? "whole number" : "number";
    }
    if (Boolean.class.equals(type) || boolean.class.equals(type)) {
      return "boolean (true or false)";
    }
    if (String.class.equals(type)) {
      return "string";
    }
    if (List.class.isAssignableFrom(type)) {
      return "list";
    }
    return "mapping";
  }

  private static String enumName(Enum<?> constant) {
    try {
      var annotation =
          constant
              .getDeclaringClass()
              .getField(constant.name())
              .getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
      return annotation != null ? annotation.value() : constant.name();
    } catch (NoSuchFieldException e) {
      return constant.name();
    }
  }

  private static String path(List<JsonMappingException.Reference> references) {
    StringBuilder out = new StringBuilder();
    for (JsonMappingException.Reference ref : references) {
      if (ref.getFieldName() != null) {
        if (!out.isEmpty()) {
          out.append('.');
        }
        out.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        out.append('[').append(ref.getIndex()).append(']');
      }
    }
    return out.isEmpty() ? "(document)" : out.toString();
  }
}
