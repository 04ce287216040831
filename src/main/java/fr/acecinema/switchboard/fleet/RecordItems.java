package fr.acecinema.switchboard.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.postgres.ConfigRevision;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.postgres.EventRecord;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.postgres.HealthTransition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * How the PostgreSQL records look on the wire under {@code /records/v1alpha1/}: the contract shared
 * by the server (which writes these items) and sbctl with {@code SWITCHBOARD_SERVER} (which reads
 * them back into the same records it prints locally, so remote and local output are identical).
 */
public final class RecordItems {
  /** Path prefix of the records endpoints. */
  public static final String PREFIX = "/records/v1alpha1/";

  /**
   * Items one request may ask for ({@code limit}): enough for any screen, cheap for any database.
   */
  public static final int MAX_LIMIT = 1000;

  /** The only condition health transitions are kept for. */
  public static final String HEALTH_CONDITION = "Healthy";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private RecordItems() {}

  /** {@code {"items":[...]}} in the order given. */
  public static <T> ObjectNode list(List<T> records, Function<T, ObjectNode> item) {
    ObjectNode o = NODES.objectNode();
    var items = o.putArray("items");
    records.forEach(r -> items.add(item.apply(r)));
    return o;
  }

  /** The items of a list answer, mapped back to records. */
  public static <T> List<T> items(JsonNode list, Function<JsonNode, T> record) {
    List<T> out = new ArrayList<>();
    list.path("items").forEach(i -> out.add(record.apply(i)));
    return out;
  }

  /** An event: {@code time} is when it was last seen. */
  public static ObjectNode event(EventRecord e) {
    ObjectNode o = NODES.objectNode();
    o.put("time", e.lastSeen().toString());
    o.put("kind", e.kind());
    o.put("name", e.name());
    o.put("type", e.type().stored());
    o.put("reason", e.reason());
    o.put("message", e.message());
    o.put("count", e.count());
    o.put("firstSeen", e.firstSeen().toString());
    return o;
  }

  public static EventRecord event(JsonNode o) {
    return new EventRecord(
        o.path("kind").asText(),
        o.path("name").asText(),
        EventType.fromStored(o.path("type").asText()),
        o.path("reason").asText(),
        o.path("message").asText(),
        o.path("count").asInt(1),
        time(o.path("firstSeen").asText(o.path("time").asText())),
        time(o.path("time").asText()));
  }

  /**
   * A health transition. The records keep the backend's health state (Healthy, Unhealthy, Unknown),
   * which is its {@code Healthy} condition: {@code status} is that condition's True, False or
   * Unknown, {@code state} and {@code previousState} the recorded states themselves.
   */
  public static ObjectNode transition(HealthTransition t) {
    ObjectNode o = NODES.objectNode();
    o.put("time", t.at().toString());
    o.put("kind", "Backend");
    o.put("name", t.backend());
    o.put("condition", HEALTH_CONDITION);
    o.put("status", status(t.toState()));
    o.put("reason", t.reason());
    o.put("message", t.message());
    if (t.latencyMs() == null) {
      o.putNull("latencyMs");
    } else {
      o.put("latencyMs", t.latencyMs());
    }
    o.put("state", t.toState());
    o.put("previousState", t.fromState());
    return o;
  }

  public static HealthTransition transition(JsonNode o) {
    JsonNode latency = o.path("latencyMs");
    return new HealthTransition(
        o.path("name").asText(),
        o.path("previousState").isTextual() ? o.path("previousState").asText() : null,
        o.path("state").asText(),
        o.path("reason").asText(),
        o.path("message").isTextual() ? o.path("message").asText() : null,
        latency.isNumber() ? latency.asInt() : null,
        time(o.path("time").asText()));
  }

  /** A configuration pushed to Caddy; {@code message} is Caddy's error (null when applied). */
  public static ObjectNode revision(ConfigRevision r) {
    ObjectNode o = NODES.objectNode();
    o.put("time", r.pushedAt().toString());
    o.put("revision", r.id());
    o.put("hash", r.hash());
    o.put("result", r.result().name());
    o.put("message", r.error());
    return o;
  }

  public static ConfigRevision revision(JsonNode o) {
    return new ConfigRevision(
        o.path("revision").asLong(),
        o.path("hash").asText(),
        null,
        time(o.path("time").asText()),
        ConfigRevision.Result.valueOf(o.path("result").asText()),
        o.path("message").isTextual() ? o.path("message").asText() : null);
  }

  /**
   * A Deployment's revision: its template ({@code image}, {@code port}, {@code env}, {@code
   * primaryEnv}, {@code hash}) and {@code state} ({@code RollingOut}, {@code Complete}, {@code
   * RolledBack}) since {@code stateChanged}; {@code time} is when its rollout started.
   */
  public static ObjectNode rollout(DeploymentRevision r) {
    ObjectNode o = NODES.objectNode();
    o.put("time", r.createdAt().toString());
    o.put("kind", "Deployment");
    o.put("name", r.deployment());
    o.put("revision", r.revision());
    o.put("hash", r.hash());
    o.put("image", r.image());
    if (r.port() == null) {
      o.putNull("port");
    } else {
      o.put("port", r.port());
    }
    r.env().forEach(o.putObject("env")::put);
    r.primaryEnv().forEach(o.putObject("primaryEnv")::put);
    o.put("state", r.state().stored());
    o.put("stateChanged", r.stateChangedAt().toString());
    return o;
  }

  public static DeploymentRevision rollout(JsonNode o) {
    JsonNode port = o.path("port");
    return new DeploymentRevision(
        o.path("name").asText(),
        o.path("revision").asInt(),
        o.path("hash").asText(),
        o.path("image").asText(),
        port.isNumber() ? port.asInt() : null,
        strings(o.path("env")),
        strings(o.path("primaryEnv")),
        DeploymentRevision.State.fromStored(o.path("state").asText()),
        time(o.path("time").asText()),
        time(o.path("stateChanged").asText()));
  }

  private static Map<String, String> strings(JsonNode object) {
    Map<String, String> out = new TreeMap<>();
    object.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  /** Healthy → True, Unhealthy → False, anything else → Unknown. */
  static String status(String state) {
    return switch (state) {
      case "Healthy" -> "True";
      case "Unhealthy" -> "False";
      default -> "Unknown";
    };
  }

  private static Instant time(String text) {
    Instant t = Rfc3339.parse(text);
    if (t == null) {
      throw new IllegalArgumentException("'" + text + "' is not an RFC 3339 time");
    }
    return t;
  }
}
