package fr.acecinema.switchboard.caddy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and replaces Switchboard's own server ({@code apps.http.servers.<name>}) through Caddy's
 * admin API, leaving every other part of Caddy's config untouched: writes go to that one path
 * (never {@code /load}), guarded by Caddy's ETag so a concurrent edit of our server is detected.
 * Every admin write is a full reload in Caddy 2.6.2, hence {@link #apply} writes only on drift.
 */
public final class CaddyAdminClient implements CaddyAdmin {
  private static final Logger log = LoggerFactory.getLogger(CaddyAdminClient.class);
  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  private static final List<String> SERVERS_PATH = List.of("apps", "http", "servers");

  private final OkHttpClient http;
  private final HttpUrl admin;
  private final ObjectMapper mapper = new ObjectMapper();

  /**
   * @param shared the process's one OkHttpClient (timeouts are set per call)
   * @param adminUrl e.g. {@code http://127.0.0.1:2019}
   */
  public CaddyAdminClient(OkHttpClient shared, String adminUrl) {
    HttpUrl url = HttpUrl.parse(adminUrl);
    if (url == null) {
      throw new IllegalArgumentException(
          "'" + adminUrl + "' is not a Caddy admin URL; write e.g. http://127.0.0.1:2019");
    }
    this.admin = url;
    // A reload provisions every app; 2.6.2 answers within a second here, 15 s leaves margin.
    // Caddy closes idle admin connections across reloads: a pooled one can be dead by the next
    // call ("unexpected end of stream"). Retrying that is safe: writes carry If-Match or are
    // create-only, so a repeated write fails as a conflict instead of applying twice.
    this.http =
        shared
            .newBuilder()
            .callTimeout(Duration.ofSeconds(15))
            .retryOnConnectionFailure(true)
            .build();
  }

  /** A value read from Caddy with the ETag that guards writing it back. */
  public record Snapshot(JsonNode value, String etag) {
    /** Whether nothing exists at the path. */
    public boolean absent() {
      return value == null || value.isNull() || value.isMissingNode();
    }
  }

  /** Caddy's whole running config ({@code null} node when Caddy runs without one). */
  public JsonNode config() throws CaddyException {
    return read("").value();
  }

  /** The running server object named {@code name}, absent when Caddy has none. */
  public Snapshot server(String name) throws CaddyException {
    return read(serverPath(name));
  }

  /**
   * Makes Caddy run {@code desired} as server {@code name}, writing only when what Caddy runs
   * differs in shape ({@link CaddyConfigBuilder#matches} of {@link CaddyConfigBuilder#shape}: the
   * static upstreams alone are no reason for a reload).
   *
   * @return true when a write (a reload) happened
   * @throws CaddyException.Rejected Caddy refused the config; the old one keeps serving
   * @throws CaddyException.Conflict our server changed between read and write; retry
   * @throws CaddyException.Unreachable Caddy is not there
   */
  @Override
  public boolean apply(String name, JsonNode desired) throws CaddyException {
    Snapshot current = server(name);
    if (!current.absent()
        && CaddyConfigBuilder.matches(
            CaddyConfigBuilder.shape(desired), CaddyConfigBuilder.shape(current.value()))) {
      return false;
    }
    if (current.absent()) {
      create(name, desired);
    } else {
      send("PATCH", serverPath(name), desired, current.etag());
    }
    log.info("Caddy server {} loaded, revision {}", name, CaddyConfigBuilder.revision(desired));
    return true;
  }

  /** Removes server {@code name} if present (other servers untouched). */
  public void delete(String name) throws CaddyException {
    Snapshot current = server(name);
    if (!current.absent()) {
      send("DELETE", serverPath(name), null, current.etag());
    }
  }

  /** Caddy's view of its proxies' upstreams: address, num_requests, fails (passive only). */
  public JsonNode upstreams() throws CaddyException {
    Request req = new Request.Builder().url(admin.resolve("/reverse_proxy/upstreams")).build();
    try (Response resp = http.newCall(req).execute()) {
      String body = resp.body() == null ? "" : resp.body().string();
      if (!resp.isSuccessful()) {
        throw failure(resp.code(), body);
      }
      return mapper.readTree(body);
    } catch (CaddyException e) {
      throw e;
    } catch (IOException e) {
      throw new CaddyException.Unreachable(admin.toString(), e);
    }
  }

  /**
   * Caddy refuses writes below a missing object ("invalid traversal path"), so on a Caddy without
   * {@code apps.http.servers} we PUT (create-only, fails if someone created it meanwhile) at the
   * deepest level that exists.
   */
  private void create(String name, JsonNode server) throws CaddyException {
    List<String> segments = List.of("apps", "http", "servers", name);
    JsonNode root = read("").value();
    int depth = 0;
    JsonNode cursor = root;
    while (depth < SERVERS_PATH.size()
        && cursor != null
        && cursor.isObject()
        && cursor.has(segments.get(depth))
        && !cursor.get(segments.get(depth)).isNull()) {
      cursor = cursor.get(segments.get(depth));
      depth++;
    }
    JsonNode body = server;
    for (int i = segments.size() - 1; i > depth; i--) {
      body = mapper.createObjectNode().set(segments.get(i), body);
    }
    if (root == null || root.isNull()) {
      send("POST", "", mapper.createObjectNode().set("apps", body), null);
      return;
    }
    send("PUT", String.join("/", segments.subList(0, depth + 1)), body, null);
  }

  private static String serverPath(String name) {
    return String.join("/", SERVERS_PATH) + "/" + name;
  }

  private Snapshot read(String path) throws CaddyException {
    Request req = new Request.Builder().url(configUrl(path)).build();
    try (Response resp = http.newCall(req).execute()) {
      String body = resp.body() == null ? "" : resp.body().string();
      if (!resp.isSuccessful() && body.contains("invalid traversal path")) {
        // Reading below a missing parent (e.g. no apps yet) is an error in 2.6.2: nothing there.
        return new Snapshot(NullNode.instance, null);
      }
      if (!resp.isSuccessful()) {
        throw failure(resp.code(), body);
      }
      // Caddy 2.6.2 sends the ETag as an HTTP trailer, readable only after the body.
      String etag = resp.header("Etag");
      if (etag == null) {
        etag = resp.trailers().get("Etag");
      }
      JsonNode value = body.isBlank() ? NullNode.instance : mapper.readTree(body);
      return new Snapshot(value, etag);
    } catch (CaddyException e) {
      throw e;
    } catch (IOException e) {
      throw new CaddyException.Unreachable(admin.toString(), e);
    }
  }

  private void send(String method, String path, JsonNode body, String etag) throws CaddyException {
    Request.Builder req = new Request.Builder().url(configUrl(path));
    RequestBody payload;
    try {
      payload = body == null ? null : RequestBody.create(mapper.writeValueAsBytes(body), JSON_TYPE);
    } catch (IOException e) {
      throw new CaddyException("cannot encode config: " + e.getMessage(), e);
    }
    req.method(method, payload);
    if (etag != null) {
      req.header("If-Match", etag);
    }
    try (Response resp = http.newCall(req.build()).execute()) {
      String text = resp.body() == null ? "" : resp.body().string();
      if (!resp.isSuccessful()) {
        throw failure(resp.code(), text);
      }
    } catch (CaddyException e) {
      throw e;
    } catch (IOException e) {
      throw new CaddyException.Unreachable(admin.toString(), e);
    }
  }

  private HttpUrl configUrl(String path) {
    return admin.newBuilder().encodedPath("/config/" + path).build();
  }

  private CaddyException failure(int code, String body) {
    String message = body;
    try {
      JsonNode node = mapper.readTree(body);
      if (node != null && node.hasNonNull("error")) {
        message = node.get("error").asText();
      }
    } catch (IOException notJson) {
      // Caddy always answers JSON errors; keep the raw text otherwise.
    }
    if (code == 412 || message.contains("key already exists")) {
      return new CaddyException.Conflict("Caddy config changed concurrently: " + message);
    }
    if (code == 400 || message.startsWith("loading new config") || code == 500) {
      return new CaddyException.Rejected(code, message);
    }
    return new CaddyException("Caddy admin API answered HTTP " + code + ": " + message);
  }
}
