package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.ApiObjects;
import fr.acecinema.switchboard.fleet.FleetWriter;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * List, get, apply and delete of Sites, Services and Backends, independent of the HTTP server: each
 * call returns a {@link Reply}. Applies are validated exactly as files are (same parser, same
 * schema, same messages), serialized so two writers never interleave, and guarded by {@code
 * metadata.resourceVersion}: a write based on an older spec gets 409, never a lost update.
 */
public final class ResourceApi {
  /** Change header on apply replies: created, configured or unchanged (sbctl prints it). */
  public static final String CHANGE_HEADER = ApiObjects.CHANGE_HEADER;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final YAMLMapper YAML =
      YAMLMapper.builder()
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .build();

  /**
   * An HTTP-independent reply.
   *
   * @param code the HTTP status
   * @param body the JSON answer
   * @param headers extra response headers
   * @param written what a write changed, for the audit trail (e.g. {@code spec.drain: true (was
   *     unset)}); empty when nothing was written (a read, a dry run, an unchanged apply, a failure)
   */
  public record Reply(int code, JsonNode body, Map<String, String> headers, List<String> written) {
    Reply(int code, JsonNode body, Map<String, String> headers) {
      this(code, body, headers, List.of());
    }

    static Reply of(int code, JsonNode body) {
      return new Reply(code, body, Map.of());
    }

    static Reply failure(int code, String reason, String message) {
      return of(code, ApiObjects.failure(code, reason, message, List.of()));
    }
  }

  private final ResourceTarget target;
  private final ManifestParser parser = new ManifestParser();

  public ResourceApi(ResourceTarget target) {
    this.target = target;
  }

  /** Whether {@code name} may appear in a path or in metadata.name. */
  public static boolean validName(String name) {
    return ApiObjects.validName(name);
  }

  /** {@code GET /apis/.../{plural}}: accepted resources as items, rejected documents beside. */
  public Reply list(String kind) throws IOException {
    try {
      return listKind(kind);
    } catch (ResourceTarget.UnavailableException e) {
      return unavailable(e);
    }
  }

  private Reply listKind(String kind) throws IOException {
    ObjectNode list = JSON.createObjectNode();
    list.put("apiVersion", ApiObjects.API_VERSION);
    list.put("kind", kind + "List");
    list.putObject("metadata");
    var items = list.putArray("items");
    var rejected = list.putArray("rejected");
    for (ResourceRow r : target.list()) {
      if (r.rejected()) {
        // Unreadable documents have no kind: listed with every kind so none is hidden.
        if (r.kind() == null || r.kind().equals(kind)) {
          rejected.add(ApiObjects.rejection(r));
        }
      } else if (kind.equals(r.kind())) {
        items.add(ApiObjects.object(r));
      }
    }
    return Reply.of(200, list);
  }

  /** {@code GET /apis/.../{plural}/{name}}. */
  public Reply get(String kind, String name) throws IOException {
    try {
      return getOne(kind, name);
    } catch (ResourceTarget.UnavailableException e) {
      return unavailable(e);
    }
  }

  private Reply getOne(String kind, String name) throws IOException {
    ResourceKey key = new ResourceKey(kind, name);
    for (ResourceRow r : target.list()) {
      if (r.key().filter(key::equals).isPresent()) {
        return r.rejected()
            ? Reply.of(
                422,
                ApiObjects.failure(
                    422, r.errorReason(), r.origin().describe() + ": " + r.error(), List.of()))
            : Reply.of(200, ApiObjects.object(r));
      }
    }
    return notFound(key);
  }

  /**
   * {@code PUT /apis/.../{plural}/{name}} (create or update) or {@code POST /apis/.../{plural}}
   * (create only, {@code pathName} null).
   *
   * @param json whether the body is JSON (else YAML)
   * @param dryRun validate and answer as if written, write nothing
   */
  public Reply apply(String kind, String pathName, byte[] body, boolean json, boolean dryRun)
      throws IOException {
    try {
      return applyOne(kind, pathName, body, json, dryRun);
    } catch (ResourceTarget.UnavailableException e) {
      return unavailable(e);
    }
  }

  private Reply applyOne(String kind, String pathName, byte[] body, boolean json, boolean dryRun)
      throws IOException {
    ObjectNode tree;
    try {
      tree = readOne(body, json);
    } catch (BadRequest e) {
      return Reply.failure(400, "BadRequest", e.getMessage());
    }
    JsonNode declaredKind = tree.get("kind");
    if (declaredKind == null) {
      tree.put("kind", kind);
    } else if (!kind.equals(declaredKind.asText())) {
      return Reply.failure(
          400,
          "BadRequest",
          "kind: the body declares '"
              + declaredKind.asText()
              + "' but the path is for "
              + kind
              + "; send it to "
              + ApiObjects.PREFIX
              + ApiObjects.plural(kind));
    }
    if (!tree.has("apiVersion")) {
      tree.put("apiVersion", ApiObjects.API_VERSION);
    }
    ObjectNode metadata =
        tree.get("metadata") instanceof ObjectNode m ? m : tree.putObject("metadata");
    JsonNode bodyName = metadata.get("name");
    String name = pathName != null ? pathName : bodyName == null ? null : bodyName.asText();
    if (!validName(name)) {
      return Reply.failure(
          400,
          "BadRequest",
          "metadata.name: '"
              + name
              + "' is not a valid name; use lower-case letters, digits and '-', at most 63"
              + " characters, starting and ending with a letter or digit");
    }
    if (bodyName != null && !bodyName.asText().equals(name)) {
      return Reply.failure(
          400,
          "BadRequest",
          "metadata.name: the body names '"
              + bodyName.asText()
              + "' but the path names '"
              + name
              + "'; they must be the same (renaming is delete + create)");
    }
    metadata.put("name", name);
    String expected = metadata.path("resourceVersion").asText(null);
    strip(tree, metadata);
    String yaml = YAML.writeValueAsString(tree);
    ResourceKey key = new ResourceKey(kind, name);
    synchronized (this) {
      Optional<ResourceRow> current = find(key);
      if (pathName == null && current.isPresent()) {
        return Reply.failure(409, "AlreadyExists", key + " already exists; PUT it to update it");
      }
      if (expected != null && !expected.isEmpty()) {
        Optional<Long> generation = ApiObjects.generationOf(expected);
        if (generation.isEmpty()) {
          return Reply.failure(
              400,
              "BadRequest",
              "metadata.resourceVersion: '" + expected + "' is not a version this API gave out");
        }
        if (current.isEmpty()) {
          return Reply.failure(
              409, "Conflict", key + " was deleted since resourceVersion " + expected);
        }
        if (current.get().generation() != generation.get()) {
          return Reply.failure(
              409,
              "Conflict",
              key
                  + " was changed since resourceVersion "
                  + expected
                  + " (now "
                  + ApiObjects.resourceVersion(current.get().generation(), current.get().status())
                  + "); read it again and re-apply your change");
        }
      }
      FleetWriter.Check check;
      try {
        check = target.check(key, yaml);
      } catch (ResourceTarget.ConflictException e) {
        return Reply.failure(409, "Conflict", e.getMessage());
      }
      if (!check.valid()) {
        return Reply.of(
            400,
            ApiObjects.failure(
                400, "Invalid", key + " is invalid: " + check.problems().get(0), check.problems()));
      }
      ParsedFile parsed = parser.parse(yaml);
      long generation = target.generationAfter(key, parsed.documents().get(0));
      FleetWriter.Change change =
          current.isEmpty()
              ? FleetWriter.Change.created
              : current.get().generation() == generation && !current.get().rejected()
                  ? FleetWriter.Change.unchanged
                  : FleetWriter.Change.configured;
      if (!dryRun && change != FleetWriter.Change.unchanged) {
        try {
          generation = target.write(key, yaml);
        } catch (ResourceTarget.ConflictException e) {
          // e.g. the file's directory is a symbolic link the API does not write through
          return Reply.failure(409, "Conflict", e.getMessage());
        }
      }
      ObjectNode reply = tree.deepCopy();
      JsonNode status =
          change == FleetWriter.Change.unchanged ? current.get().status() : JSON.missingNode();
      ObjectNode replyMetadata = (ObjectNode) reply.get("metadata");
      replyMetadata.put("generation", generation);
      replyMetadata.put("resourceVersion", ApiObjects.resourceVersion(generation, status));
      if (!status.isMissingNode()) {
        reply.set("status", status);
      }
      return new Reply(
          change == FleetWriter.Change.created ? 201 : 200,
          reply,
          Map.of(CHANGE_HEADER, change.name()),
          dryRun || change == FleetWriter.Change.unchanged
              ? List.of()
              : SpecChanges.between(
                  current.map(ResourceRow::spec).orElse(null), tree.path("spec")));
    }
  }

  /** {@code DELETE /apis/.../{plural}/{name}[?resourceVersion=...]}. */
  public Reply delete(String kind, String name, String expected) throws IOException {
    try {
      return deleteOne(kind, name, expected);
    } catch (ResourceTarget.UnavailableException e) {
      return unavailable(e);
    }
  }

  private Reply deleteOne(String kind, String name, String expected) throws IOException {
    ResourceKey key = new ResourceKey(kind, name);
    synchronized (this) {
      Optional<ResourceRow> current = find(key);
      if (current.isEmpty()) {
        return notFound(key);
      }
      if (expected != null && !expected.isEmpty()) {
        Optional<Long> generation = ApiObjects.generationOf(expected);
        if (generation.isEmpty() || generation.get() != current.get().generation()) {
          return Reply.failure(
              409,
              "Conflict",
              key + " was changed since resourceVersion " + expected + "; read it again");
        }
      }
      try {
        if (!target.delete(key)) {
          return notFound(key);
        }
      } catch (ResourceTarget.ConflictException e) {
        return Reply.failure(409, "Conflict", e.getMessage());
      }
    }
    ObjectNode ok = JSON.createObjectNode();
    ok.put("kind", "Status");
    ok.put("apiVersion", "v1");
    ok.put("status", "Success");
    ok.putObject("details").put("kind", kind).put("name", name);
    return new Reply(200, ok, Map.of(), List.of("deleted"));
  }

  private Optional<ResourceRow> find(ResourceKey key) throws IOException {
    return target.list().stream().filter(r -> r.key().filter(key::equals).isPresent()).findFirst();
  }

  /** 503 with Retry-After: the store (the database) is starting or down; nothing was written. */
  private static Reply unavailable(ResourceTarget.UnavailableException e) {
    return new Reply(
        503,
        ApiObjects.failure(503, "ServiceUnavailable", e.getMessage(), List.of()),
        Map.of("Retry-After", "2"));
  }

  private static Reply notFound(ResourceKey key) {
    return Reply.failure(404, "NotFound", key + " is not declared");
  }

  /** Fields the server sets: a client that sends back what it read must not declare them. */
  private static void strip(ObjectNode tree, ObjectNode metadata) {
    tree.remove("status");
    for (String f :
        List.of(
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "uid",
            "selfLink",
            "managedFields")) {
      metadata.remove(f);
    }
    if (metadata.get("annotations") instanceof ObjectNode annotations) {
      annotations.remove(ApiObjects.ORIGIN);
      if (annotations.isEmpty()) {
        metadata.remove("annotations");
      }
    }
  }

  private static ObjectNode readOne(byte[] body, boolean json) throws BadRequest {
    if (body.length == 0) {
      throw new BadRequest("request body: empty; send one Site, Service or Backend");
    }
    ObjectMapper mapper = json ? JSON : YAML;
    List<JsonNode> documents = new ArrayList<>();
    try (MappingIterator<JsonNode> it =
        mapper.readerFor(JsonNode.class).readValues(new String(body, StandardCharsets.UTF_8))) {
      while (it.hasNextValue()) {
        JsonNode d = it.nextValue();
        if (d != null && !d.isNull() && !d.isMissingNode()) {
          documents.add(d);
        }
      }
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new BadRequest(
          "request body"
              + (at == null ? "" : ": line " + at.getLineNr() + ", column " + at.getColumnNr())
              + ": not valid "
              + (json ? "JSON" : "YAML")
              + " ("
              + e.getOriginalMessage()
              + ")");
    } catch (IOException | RuntimeException e) {
      throw new BadRequest(
          "request body: not valid " + (json ? "JSON" : "YAML") + " (" + e.getMessage() + ")");
    }
    if (documents.size() != 1) {
      throw new BadRequest(
          "request body: holds "
              + documents.size()
              + " documents; send exactly one resource per request");
    }
    if (!(documents.get(0) instanceof ObjectNode o)) {
      throw new BadRequest(
          "request body: is a "
              + documents.get(0).getNodeType()
              + ", not a mapping; send one"
              + " resource (apiVersion, kind, metadata, spec)");
    }
    return o;
  }

  private static final class BadRequest extends Exception {
    BadRequest(String message) {
      super(message);
    }
  }
}
