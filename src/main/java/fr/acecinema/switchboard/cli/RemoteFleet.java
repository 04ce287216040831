package fr.acecinema.switchboard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.ApiObjects;
import fr.acecinema.switchboard.fleet.FleetView;
import fr.acecinema.switchboard.fleet.FleetWriter;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import fr.acecinema.switchboard.manifest.ParsedFile;
import fr.acecinema.switchboard.source.Origin;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The fleet of a running Switchboard, through its HTTP API with a bearer token: what {@code sbctl
 * get/describe/apply/delete/wait} use when {@code SWITCHBOARD_SERVER} is set. Validation happens on
 * the server (a dry run), so the messages are the ones the files would get.
 */
public final class RemoteFleet implements FleetView, FleetWriter {
  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  private static final ObjectMapper JSON = ApiClient.JSON;
  // Every kind the API serves (Deployments too: get, describe and rollout read them remotely).
  private static final List<String> PLURALS =
      fr.acecinema.switchboard.api.Kinds.TYPES.stream()
          .map(io.fabric8.kubernetes.api.model.HasMetadata::getPlural)
          .toList();

  private final ApiClient api;
  private final ManifestParser parser = new ManifestParser();

  public RemoteFleet(URI server, String token, OkHttpClient http) {
    this(new ApiClient(server, token, http));
  }

  RemoteFleet(ApiClient api) {
    this.api = api;
  }

  @Override
  public String where() {
    return api.base().toString();
  }

  @Override
  public List<ResourceRow> list() throws IOException {
    List<ResourceRow> rows = new ArrayList<>();
    Set<String> unkinded = new HashSet<>();
    for (String plural : PLURALS) {
      JsonNode list = api.get(url(plural, null, null), "list " + plural);
      for (JsonNode item : list.path("items")) {
        JsonNode metadata = item.path("metadata");
        String created = metadata.path("creationTimestamp").asText(null);
        rows.add(
            new ResourceRow(
                item.path("kind").asText(),
                metadata.path("name").asText(),
                ApiObjects.parseOrigin(
                    metadata.path("annotations").path(ApiObjects.ORIGIN).asText(null)),
                metadata.path("generation").asLong(0),
                created == null ? null : Instant.parse(created),
                item.path("spec"),
                item.path("status"),
                null,
                null,
                metadata.path("labels")));
      }
      for (JsonNode r : list.path("rejected")) {
        String origin = r.path("origin").asText("");
        // Unreadable documents come with every kind's list: keep one copy.
        if (!r.has("kind") && !unkinded.add(origin)) {
          continue;
        }
        rows.add(
            new ResourceRow(
                r.path("kind").asText(null),
                r.path("name").asText(null),
                ApiObjects.parseOrigin(origin),
                r.path("generation").asLong(0),
                null,
                r.path("spec"),
                r.path("status"),
                r.path("reason").asText(),
                r.path("message").asText()));
      }
    }
    return rows;
  }

  @Override
  public Check check(String fileName, String text) {
    List<ResourceKey> declares = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    ParsedFile parsed = parser.parse(text);
    if (parsed.error().isPresent()) {
      problems.add(parsed.error().get().describe(fileName));
      return new Check(declares, problems);
    }
    if (parsed.documents().isEmpty()) {
      problems.add(fileName + ": declares nothing; write at least one Site, Service or Backend");
    }
    for (ParsedDocument d : parsed.documents()) {
      String where = new Origin("file", fileName, d.index(), d.line()).describe();
      Optional<String> kind = Optional.ofNullable(d.kind()).flatMap(Kinds::resolve);
      if (kind.isEmpty() || !kind.get().equals(d.kind())) {
        problems.add(where + ": kind: '" + d.kind() + "' is not Site, Service or Backend");
        continue;
      }
      try {
        Reply r = send(kind.get(), d, true);
        if (r.code() >= 300) {
          problems.add(where + ": " + r.message());
        } else {
          declares.add(new ResourceKey(kind.get(), d.name()));
        }
      } catch (IOException e) {
        problems.add(where + ": " + e.getMessage());
      }
    }
    return new Check(declares, problems);
  }

  @Override
  public List<Applied> apply(String fileName, String text) throws IOException {
    List<Applied> applied = new ArrayList<>();
    for (ParsedDocument d : parser.parse(text).documents()) {
      Reply r = send(d.kind(), d, false);
      if (r.code() >= 300) {
        throw new IOException(fileName + ":" + d.line() + ": " + r.message());
      }
      applied.add(new Applied(new ResourceKey(d.kind(), d.name()), r.change()));
    }
    return applied;
  }

  @Override
  public boolean delete(ResourceKey key) throws IOException {
    Request request =
        api.request(url(ApiObjects.plural(key.kind()), key.name(), null)).delete().build();
    try (Response response = api.execute(request)) {
      if (response.code() == 404) {
        return false;
      }
      api.body(response, "delete " + key);
      return true;
    }
  }

  /**
   * PUTs the document with {@code metadata.resourceVersion} set to the generation read: the API
   * answers 409 when the resource changed since (or was deleted), and nothing is written.
   */
  @Override
  public boolean replace(ResourceKey key, String yaml, long generation) throws IOException {
    if (list().stream().noneMatch(r -> r.key().filter(key::equals).isPresent())) {
      return false;
    }
    JsonNode document = YAML.readTree(yaml);
    if (!(document instanceof ObjectNode tree)) {
      throw new IllegalArgumentException(key + ": the replacement is not a YAML mapping");
    }
    ObjectNode metadata =
        tree.get("metadata") instanceof ObjectNode m ? m : tree.putObject("metadata");
    metadata.put("resourceVersion", Long.toString(generation));
    Request request =
        api.request(url(ApiObjects.plural(key.kind()), key.name(), null))
            .put(RequestBody.create(JSON.writeValueAsBytes(tree), JSON_TYPE))
            .build();
    try (Response response = api.execute(request)) {
      api.body(response, "replace " + key);
      return true;
    }
  }

  private static final ObjectMapper YAML = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();

  private record Reply(int code, String message, Change change) {}

  private Reply send(String kind, ParsedDocument d, boolean dryRun) throws IOException {
    boolean named = ApiObjects.validName(d.name());
    Request.Builder b =
        api.request(url(ApiObjects.plural(kind), named ? d.name() : null, dryRun ? "All" : null));
    RequestBody body = RequestBody.create(JSON.writeValueAsBytes(d.document()), JSON_TYPE);
    Request request = (named ? b.put(body) : b.post(body)).build();
    try (Response response = api.execute(request)) {
      if (response.code() == 401 || response.code() == 403) {
        api.body(response, "apply " + kind);
      }
      String text = response.body() == null ? "" : response.body().string();
      if (!response.isSuccessful()) {
        return new Reply(response.code(), ApiClient.message(text, response.code()), null);
      }
      String change = response.header(ApiObjects.CHANGE_HEADER, "configured");
      return new Reply(response.code(), "", Change.valueOf(change));
    }
  }

  private HttpUrl url(String plural, String name, String dryRun) {
    HttpUrl.Builder url =
        api.url()
            .addPathSegment("apis")
            .addPathSegment(ApiObjects.GROUP)
            .addPathSegment(ApiObjects.VERSION)
            .addPathSegment(plural);
    if (name != null) {
      url.addPathSegment(name);
    }
    if (dryRun != null) {
      url.addQueryParameter("dryRun", dryRun);
    }
    return url.build();
  }
}
