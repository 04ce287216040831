package fr.acecinema.switchboard.agent;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.api.v1alpha1.Deployment;
import fr.acecinema.switchboard.fleet.ApiObjects;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;

/**
 * {@link HubClient} over the hub's HTTP API with OkHttp: {@code Authorization: Bearer TOKEN}, JSON
 * both ways. Every call is bounded ({@link #CONNECT_TIMEOUT}, {@link #CALL_TIMEOUT}) and so is
 * every answer read ({@link #MAX_ANSWER}): a hub that hangs or answers without end fails the call
 * instead of holding the agent's only worker.
 */
public final class HttpHubClient implements HubClient {
  /** How long connecting (TCP and TLS) may take. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** How long one call may take, answer included. */
  public static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

  /** The largest answer read, in bytes: a list of a site's Backends is far below it. */
  public static final long MAX_ANSWER = 8L * 1024 * 1024;

  /** Heartbeats as the hub reads them: ISO-8601 instants ({@code sentAt}) and durations. */
  static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private static final MediaType JSON_TYPE = MediaType.get("application/json");

  private final HttpUrl base;
  private final String token;
  private final OkHttpClient http;

  /**
   * A client of the hub at {@code hub} (its path is ignored: the API lives at the root). {@code
   * http} brings the TLS trust; its timeouts are replaced by this class's.
   */
  public HttpHubClient(URI hub, String token, OkHttpClient http) {
    this.base = HttpUrl.get(hub.toString()).newBuilder().encodedPath("/").build();
    this.token = token;
    this.http =
        http.newBuilder()
            .connectTimeout(CONNECT_TIMEOUT)
            .readTimeout(CALL_TIMEOUT)
            .writeTimeout(CALL_TIMEOUT)
            .callTimeout(CALL_TIMEOUT)
            .followRedirects(false)
            .build();
  }

  @Override
  public String subnet(String site) throws HubException {
    JsonNode node = call("read site " + site, url("sites", site).build(), get(), false);
    String subnet = node.path("spec").path("subnet").asText("");
    if (subnet.isEmpty()) {
      throw new HubException(
          HubException.Kind.UNAVAILABLE, 200, "read site " + site + " on " + base + ": no subnet");
    }
    return subnet;
  }

  @Override
  public List<HubBackend> backends() throws HubException {
    JsonNode list = call("list backends", url("backends").build(), get(), false);
    List<HubBackend> out = new ArrayList<>();
    for (JsonNode item : list.path("items")) {
      JsonNode metadata = item.path("metadata");
      Map<String, String> labels = new LinkedHashMap<>();
      metadata
          .path("labels")
          .properties()
          .forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
      try {
        out.add(
            new HubBackend(
                metadata.path("name").asText(),
                labels,
                JSON.treeToValue(item.path("spec"), BackendSpec.class)));
      } catch (IOException e) {
        throw new HubException(
            HubException.Kind.UNAVAILABLE,
            200,
            "list backends on " + base + ": unreadable spec of " + metadata.path("name"),
            e);
      }
    }
    return out;
  }

  @Override
  public void putBackend(HubBackend backend) throws HubException {
    ObjectNode body = JSON.createObjectNode();
    body.put("apiVersion", ApiObjects.API_VERSION);
    body.put("kind", "Backend");
    ObjectNode metadata = body.putObject("metadata");
    metadata.put("name", backend.name());
    ObjectNode labels = metadata.putObject("labels");
    backend.labels().forEach(labels::put);
    body.set("spec", JSON.valueToTree(backend.spec()));
    call(
        "write backend " + backend.name(),
        url("backends", backend.name()).build(),
        put(body),
        false);
  }

  @Override
  public void deleteBackend(String name) throws HubException {
    try {
      call(
          "delete backend " + name,
          url("backends", name).build(),
          new Request.Builder().delete(),
          false);
    } catch (HubException e) {
      if (e.status() != 404) {
        throw e;
      }
    }
  }

  @Override
  public List<Deployment> deployments() throws HubException {
    JsonNode list = call("list deployments", url("deployments").build(), get(), false);
    List<Deployment> out = new ArrayList<>();
    for (JsonNode item : list.path("items")) {
      try {
        out.add(JSON.treeToValue(item, Deployment.class));
      } catch (IOException | IllegalArgumentException e) {
        // One unreadable Deployment must not hide the others' replicas: the agent would retire
        // them.
        throw new HubException(
            HubException.Kind.UNAVAILABLE,
            200,
            "list deployments on "
                + base
                + ": unreadable Deployment "
                + item.path("metadata").path("name")
                + ": "
                + e.getMessage(),
            e);
      }
    }
    return out;
  }

  @Override
  public void report(String site, AgentReport report) throws HubException {
    call("report site " + site, url("sites", site, "agent").build(), put(report), true);
  }

  private static Request.Builder get() {
    return new Request.Builder().get();
  }

  private static Request.Builder put(Object body) {
    try {
      return new Request.Builder().put(RequestBody.create(JSON.writeValueAsBytes(body), JSON_TYPE));
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + body.getClass().getSimpleName(), e);
    }
  }

  private HttpUrl.Builder url(String... segments) {
    HttpUrl.Builder url =
        base.newBuilder()
            .addPathSegment("apis")
            .addPathSegment(ApiObjects.GROUP)
            .addPathSegment(ApiObjects.VERSION);
    for (String s : segments) {
      url.addPathSegment(s);
    }
    return url;
  }

  /**
   * Sends one request; the JSON of a successful answer (an empty object for an empty one), or a
   * {@link HubException} whose kind says what the status means ({@code heartbeat}: 409 is a
   * replay).
   */
  private JsonNode call(String what, HttpUrl url, Request.Builder request, boolean heartbeat)
      throws HubException {
    Request r =
        request
            .url(url)
            .header("Authorization", "Bearer " + token)
            .header("Accept", "application/json")
            .build();
    int status = 0;
    try (Response response = http.newCall(r).execute()) {
      status = response.code();
      String text = text(response.body());
      if (response.isSuccessful()) {
        return text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
      }
      throw new HubException(
          kind(status, heartbeat),
          status,
          what + " on " + base + ": HTTP " + status + " " + message(text) + hint(status));
    } catch (SSLException e) {
      throw new HubException(
          HubException.Kind.UNAVAILABLE,
          0,
          what
              + " on "
              + base
              + ": TLS failed ("
              + e.getMessage()
              + "); if the hub's certificate is its own, trust it with --server-ca FILE",
          e);
    } catch (IOException e) {
      throw new HubException(
          HubException.Kind.UNAVAILABLE, status, what + " on " + base + ": " + e, e);
    }
  }

  private static HubException.Kind kind(int status, boolean heartbeat) {
    return switch (status) {
      case 400, 403, 422 -> HubException.Kind.REFUSED;
      case 409 -> heartbeat ? HubException.Kind.REPLAY : HubException.Kind.UNAVAILABLE;
      default -> HubException.Kind.UNAVAILABLE;
    };
  }

  private static String hint(int status) {
    return status == 401
        ? " (the token is not accepted: check SWITCHBOARD_TOKEN; on the hub, sbctl token create"
            + " NAME --site SITE --scope agent)"
        : "";
  }

  /** The hub's {@code Status.message}, or the start of whatever it answered. */
  private static String message(String text) {
    try {
      JsonNode node = JSON.readTree(text);
      if (node != null && node.hasNonNull("message")) {
        return node.get("message").asText();
      }
    } catch (IOException e) {
      // not JSON: shown as text below
    }
    String line = text.strip().replaceAll("\\s+", " ");
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }

  /** The answer's text, refused beyond {@link #MAX_ANSWER} bytes. */
  private static String text(ResponseBody body) throws IOException {
    if (body == null) {
      return "";
    }
    BufferedSource source = body.source();
    if (source.request(MAX_ANSWER + 1)) {
      throw new IOException("the answer is larger than " + MAX_ANSWER + " bytes");
    }
    return source.getBuffer().readUtf8();
  }
}
