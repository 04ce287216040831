package fr.acecinema.switchboard.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.source.Declaration;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.Rejection;
import java.time.Instant;
import java.util.Optional;

/**
 * One line of {@code sbctl get}: a declared resource with its spec and last written status, or a
 * document that could not be accepted ({@link #error()} set; kind and name null when unreadable).
 *
 * @param kind e.g. {@code Backend}; null when the document could not be read that far
 * @param name metadata.name; null when unreadable
 * @param origin where the document lives
 * @param generation the document's derived metadata.generation, 0 when unknown
 * @param created when the resource came to be, stable across status writes (see {@link
 *     #created(JsonNode)}), null when unknown
 * @param spec the spec as declared, {@link MissingNode} when unreadable
 * @param status the status last written back, {@link MissingNode} when none
 * @param errorReason for rejected documents, e.g. {@code YamlSyntaxError}; else null
 * @param error for rejected documents, the message naming field and fix; else null
 */
public record ResourceRow(
    String kind,
    String name,
    Origin origin,
    long generation,
    Instant created,
    JsonNode spec,
    JsonNode status,
    String errorReason,
    String error,
    JsonNode labels) {

  /** The READY column: a condition status, its reason and message. */
  public record Ready(String status, String reason, String message) {}

  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();

  public ResourceRow {
    spec = spec == null ? MissingNode.getInstance() : spec;
    status = status == null ? MissingNode.getInstance() : status;
    labels = labels == null ? MissingNode.getInstance() : labels;
  }

  /** A row without labels. */
  public ResourceRow(
      String kind,
      String name,
      Origin origin,
      long generation,
      Instant created,
      JsonNode spec,
      JsonNode status,
      String errorReason,
      String error) {
    this(kind, name, origin, generation, created, spec, status, errorReason, error, null);
  }

  /** A row for an accepted declaration; {@code created} may be null. */
  public static ResourceRow of(Declaration declaration, Instant created) {
    JsonNode tree = JSON.valueToTree(declaration.resource());
    Long generation = declaration.resource().getMetadata().getGeneration();
    return new ResourceRow(
        declaration.key().kind(),
        declaration.key().name(),
        declaration.origin(),
        generation == null ? 0 : generation,
        created,
        tree.path("spec"),
        tree.path("status"),
        null,
        null,
        tree.path("metadata").path("labels"));
  }

  /**
   * A row for a rejected document.
   *
   * @param document the document as read (spec and status are shown from it); null or missing when
   *     the file could not be read as YAML
   */
  public static ResourceRow of(Rejection rejection, JsonNode document) {
    ResourceKey key = rejection.key();
    JsonNode d = document == null ? MissingNode.getInstance() : document;
    return new ResourceRow(
        key == null ? null : key.kind(),
        key == null ? null : key.name(),
        rejection.origin(),
        rejection.generation(),
        created(d),
        d.path("spec"),
        d.path("status"),
        rejection.reason(),
        rejection.message());
  }

  /**
   * The AGE of a manifest document. The file's own times cannot serve: every status write is an
   * atomic rename, a new inode, so they would always say "just now". Uses {@code
   * metadata.creationTimestamp} when the user set one, else the {@code lastTransitionTime} of a
   * true {@code Accepted} condition (when the operator first accepted it), else null (unknown).
   */
  public static Instant created(JsonNode document) {
    Instant declared =
        Rfc3339.parse(document.path("metadata").path("creationTimestamp").asText(null));
    if (declared != null) {
      return declared;
    }
    for (JsonNode c : document.path("status").path("conditions")) {
      if (ConditionTypes.ACCEPTED.equals(c.path("type").asText())
          && Condition.TRUE.equals(c.path("status").asText())) {
        return Rfc3339.parse(c.path("lastTransitionTime").asText(null));
      }
    }
    return null;
  }

  /** Kind/name, empty for unreadable documents. */
  public Optional<ResourceKey> key() {
    return kind == null || name == null
        ? Optional.empty()
        : Optional.of(new ResourceKey(kind, name));
  }

  public boolean rejected() {
    return error != null;
  }

  /** The condition of {@code type} in the status, or a missing node. */
  public JsonNode condition(String type) {
    for (JsonNode c : status.path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    return MissingNode.getInstance();
  }

  /**
   * What the READY column shows. A rejected document is not ready for the rejection's reason; a
   * Ready condition computed from an older generation is {@code Unknown/Reconciling}, so a stale
   * status never passes for the current spec.
   */
  public Ready ready() {
    if (rejected()) {
      return new Ready(Condition.FALSE, errorReason, error);
    }
    JsonNode c = condition(ConditionTypes.READY);
    if (c.isMissingNode()) {
      return new Ready(Condition.UNKNOWN, "Pending", "not reconciled yet");
    }
    if (!observed(c)) {
      return new Ready(
          Condition.UNKNOWN,
          "Reconciling",
          "status was computed for generation "
              + observedGeneration(c)
              + ", the manifest is at generation "
              + generation);
    }
    return new Ready(
        c.path("status").asText(Condition.UNKNOWN),
        c.path("reason").asText(""),
        c.path("message").asText(""));
  }

  /** Whether condition {@code c} was computed from the current generation. */
  public boolean observed(JsonNode c) {
    return generation <= 0 || observedGeneration(c) == generation;
  }

  private long observedGeneration(JsonNode c) {
    JsonNode g = c.path("observedGeneration");
    return g.canConvertToLong() ? g.asLong() : status.path("observedGeneration").asLong(0);
  }
}
