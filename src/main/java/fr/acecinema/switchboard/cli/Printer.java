package fr.acecinema.switchboard.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import fr.acecinema.switchboard.api.ManagedBy;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.fleet.ApiObjects;
import fr.acecinema.switchboard.fleet.ResourceRow;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Renders rows as kubectl does: a table ({@code NAME READY REASON AGE}, more columns with {@code -o
 * wide}), YAML, JSON, or a {@code describe} page. Pure: the same rows and time give the same text.
 */
public final class Printer {
  /** Output formats of {@code sbctl get -o}. */
  public enum Format {
    table,
    wide,
    yaml,
    json
  }

  private record Column(String header, Function<ResourceRow, String> value) {}

  private static final Map<String, List<Column>> WIDE =
      Map.of(
          "Backend",
          List.of(
              new Column("SERVICE", r -> text(r.spec().path("service"))),
              new Column("SITE", r -> text(r.spec().path("site"))),
              new Column("ADDRESS", Printer::address),
              new Column("ROLE", r -> r.spec().path("role").asText(r.rejected() ? "-" : "primary")),
              new Column("WEIGHT", r -> r.spec().path("weight").asText(r.rejected() ? "-" : "1")),
              new Column("HEALTH", r -> text(r.status().path("health").path("state"))),
              new Column("MANAGED-BY", r -> text(r.labels().path(ManagedBy.LABEL))),
              new Column("HUBS", Printer::hubs)),
          "Service",
          List.of(
              new Column("HOSTS", Printer::hosts),
              new Column("PATH", r -> text(r.spec().path("pathPrefix"))),
              new Column("ENDPOINTS", Printer::endpoints),
              new Column(
                  "MODE",
                  r ->
                      r.spec()
                          .path("failover")
                          .path("mode")
                          .asText(r.rejected() ? "-" : "spread"))),
          "Site",
          List.of(
              new Column("SUBNET", r -> text(r.spec().path("subnet"))),
              new Column(
                  "PRIORITY", r -> r.spec().path("priority").asText(r.rejected() ? "-" : "100")),
              new Column(
                  "MAINTENANCE",
                  r -> r.spec().path("maintenance").asText(r.rejected() ? "-" : "false")),
              new Column("BACKENDS", Printer::siteBackends),
              new Column("AGENT", Printer::siteAgent),
              new Column("HUBS", Printer::hubs)),
          "Deployment",
          List.of(
              new Column("SERVICE", r -> text(r.spec().path("service"))),
              new Column("IMAGE", r -> text(r.status().path("currentImage"))),
              new Column("REPLICAS", Printer::replicas),
              new Column("UP-TO-DATE", r -> text(r.status().path("updatedReplicas"))),
              new Column(
                  "STRATEGY",
                  r ->
                      r.spec()
                          .path("strategy")
                          .path("type")
                          .asText(r.rejected() ? "-" : "Rolling"))));

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper YAML =
      new ObjectMapper(
          new YAMLFactory()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  private Printer() {}

  /** Renders {@code rows} in {@code format}; one row alone is printed as an object, not a List. */
  public static String render(List<ResourceRow> rows, Format format, Instant now) {
    return render(rows, format, rows.size() != 1, now);
  }

  /**
   * Renders {@code rows} in {@code format}; tables are one per kind, names unqualified.
   *
   * @param asList for yaml/json, print a {@code List} even for one row (kubectl does for {@code get
   *     KIND}, and prints a bare object only for {@code get KIND NAME})
   */
  public static String render(List<ResourceRow> rows, Format format, boolean asList, Instant now) {
    return switch (format) {
      case table -> tables(rows, false, false, now);
      case wide -> tables(rows, true, false, now);
      case yaml -> write(YAML, document(rows, asList));
      case json -> write(JSON, document(rows, asList)) + "\n";
    };
  }

  /**
   * kubectl's tables for rows of any kinds: one table per kind (Sites, Services, Backends, then
   * documents that could not be read), a blank line between them, each with only its kind's
   * columns.
   *
   * @param qualified name rows {@code backend/api-dijon} as {@code kubectl get all} does; callers
   *     pass true when several kinds were asked for
   */
  public static String tables(
      List<ResourceRow> rows, boolean wide, boolean qualified, Instant now) {
    List<String> sections = new ArrayList<>();
    for (String kind : Kinds.ALL) {
      List<ResourceRow> ofKind = rows.stream().filter(r -> kind.equals(r.kind())).toList();
      if (!ofKind.isEmpty()) {
        sections.add(table(ofKind, wide, qualified, now));
      }
    }
    List<ResourceRow> unreadable =
        rows.stream().filter(r -> r.kind() == null || !Kinds.ALL.contains(r.kind())).toList();
    if (!unreadable.isEmpty()) {
      sections.add(table(unreadable, wide, qualified, now));
    }
    return String.join("\n", sections);
  }

  /**
   * One kubectl-like table of rows of ONE kind (its columns come from the first row's kind).
   * Rejected documents appear as not ready with their reason; unreadable ones are named by their
   * file and show the error (file:line:column and fix) instead of an age. {@code wide} adds the
   * kind's columns and SOURCE.
   */
  public static String table(List<ResourceRow> rows, boolean wide, Instant now) {
    return table(rows, wide, false, now);
  }

  private static String table(
      List<ResourceRow> rows, boolean wide, boolean qualified, Instant now) {
    String kind = rows.isEmpty() ? null : rows.get(0).kind();
    List<Column> columns = new ArrayList<>();
    columns.add(new Column("NAME", r -> qualified ? qualifiedName(r) : displayName(r)));
    columns.add(new Column("READY", r -> r.ready().status()));
    columns.add(
        new Column(
            "REASON",
            r -> {
              String reason = r.ready().reason();
              return reason == null || reason.isEmpty() ? "-" : reason;
            }));
    if (kind == null) {
      // Nothing to describe for a file that is not YAML: the error is the only useful column.
      columns.add(new Column("MESSAGE", r -> r.error() == null ? "-" : r.error()));
    } else {
      columns.add(new Column("AGE", r -> Ages.of(r.created(), now)));
      if (wide) {
        columns.addAll(WIDE.getOrDefault(kind, List.of()));
        columns.add(new Column("SOURCE", r -> r.origin() == null ? "-" : r.origin().describe()));
      }
    }
    List<List<String>> lines = new ArrayList<>();
    lines.add(columns.stream().map(Column::header).toList());
    for (ResourceRow r : rows) {
      lines.add(columns.stream().map(c -> c.value().apply(r)).toList());
    }
    return columns(lines);
  }

  /** {@code kubectl describe}: identity, source, spec, status, then the conditions table. */
  public static String describe(ResourceRow r, Instant now) {
    StringBuilder out = new StringBuilder();
    field(out, "Name", displayName(r));
    field(out, "Kind", r.kind() == null ? "<unreadable>" : r.kind());
    field(out, "API Version", Site.API_VERSION);
    field(out, "Source", r.origin() == null ? "<unknown>" : r.origin().describe());
    field(out, "Generation", r.generation() > 0 ? Long.toString(r.generation()) : "<unknown>");
    field(
        out,
        "Created",
        r.created() == null
            ? "<unknown>"
            : r.created() + " (" + Ages.of(r.created(), now) + " ago)");
    ResourceRow.Ready ready = r.ready();
    field(
        out,
        "Ready",
        ready.status()
            + (ready.reason() == null || ready.reason().isEmpty()
                ? ""
                : " (" + ready.reason() + ")"));
    if (r.rejected()) {
      field(out, "Error", r.error());
    }
    out.append("Spec:\n").append(indent(yamlOrNone(r.spec())));
    JsonNode status = r.status().deepCopy();
    if (status instanceof ObjectNode o) {
      o.remove("conditions");
    }
    out.append("Status:\n").append(indent(yamlOrNone(status)));
    out.append("Conditions:\n");
    if (!r.status().path("conditions").isArray() || r.status().path("conditions").isEmpty()) {
      out.append("  <none>\n");
    } else {
      List<List<String>> lines = new ArrayList<>();
      lines.add(List.of("Type", "Status", "Reason", "Age", "Generation", "Message"));
      for (JsonNode c : r.status().path("conditions")) {
        lines.add(
            List.of(
                c.path("type").asText("-"),
                c.path("status").asText("-"),
                c.path("reason").asText("-"),
                Ages.of(Ages.parse(c.path("lastTransitionTime").asText(null)), now),
                c.path("observedGeneration").asText("-") + (r.observed(c) ? "" : " (stale)"),
                c.path("message").asText("")));
      }
      out.append(indent(columns(lines)));
    }
    return out.toString();
  }

  private static JsonNode document(List<ResourceRow> rows, boolean asList) {
    if (!asList && rows.size() == 1) {
      return object(rows.get(0));
    }
    ObjectNode list = JSON.createObjectNode();
    list.put("apiVersion", "v1");
    list.put("kind", "List");
    ArrayNode items = list.putArray("items");
    rows.forEach(r -> items.add(object(r)));
    return list;
  }

  /** The resource as a manifest: apiVersion, kind, metadata, spec, status. */
  static ObjectNode object(ResourceRow r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("apiVersion", Site.API_VERSION);
    o.put("kind", r.kind());
    ObjectNode metadata = o.putObject("metadata");
    metadata.put("name", r.name());
    if (r.generation() > 0) {
      metadata.put("generation", r.generation());
    }
    if (r.created() != null) {
      metadata.put("creationTimestamp", r.created().toString());
    }
    if (r.origin() != null) {
      metadata
          .putObject("annotations")
          .put("switchboard.acecinema.fr/source", r.origin().describe());
    }
    ApiObjects.putSpecAndStatus(o, r);
    return o;
  }

  /** The site's agent: its host and whether it heartbeats ({@code AgentConnected}); else "-". */
  /** {@code status.hubs} as {@code hub-a=True,hub-b=False(HostUnreachable)}; {@code -} without. */
  private static String hubs(ResourceRow r) {
    JsonNode hubs = r.status().path("hubs");
    if (!hubs.isArray() || hubs.isEmpty()) {
      return "-";
    }
    List<String> out = new java.util.ArrayList<>();
    for (JsonNode h : hubs) {
      String ready = h.path("ready").asText("Unknown");
      out.add(
          h.path("hub").asText("?")
              + "="
              + ready
              + ("True".equals(ready) ? "" : "(" + h.path("reason").asText("?") + ")"));
    }
    return String.join(",", out);
  }

  private static String siteAgent(ResourceRow r) {
    JsonNode agent = r.status().path("agent");
    if (agent.isMissingNode()) {
      return "-";
    }
    String connected = "Unknown";
    for (JsonNode c : r.status().path("conditions")) {
      if ("AgentConnected".equals(c.path("type").asText())) {
        connected = c.path("status").asText("Unknown");
      }
    }
    return agent.path("hostName").asText("?") + " (" + connected + ")";
  }

  private static String qualifiedName(ResourceRow r) {
    return r.kind() == null
        ? displayName(r)
        : r.kind().toLowerCase(java.util.Locale.ROOT) + "/" + displayName(r);
  }

  private static String displayName(ResourceRow r) {
    if (r.name() != null) {
      return r.name();
    }
    return "<" + (r.origin() == null ? "unknown" : r.origin().describe()) + ">";
  }

  private static String text(JsonNode node) {
    return node.isMissingNode() || node.isNull() ? "-" : node.asText();
  }

  private static String address(ResourceRow r) {
    JsonNode a = r.spec().path("address");
    JsonNode p = r.spec().path("port");
    if (a.isMissingNode()) {
      return "-";
    }
    String host = a.asText().contains(":") ? "[" + a.asText() + "]" : a.asText();
    return p.isMissingNode() ? host : host + ":" + p.asText();
  }

  private static String hosts(ResourceRow r) {
    List<String> hosts = new ArrayList<>();
    r.spec().path("hosts").forEach(h -> hosts.add(h.asText()));
    return hosts.isEmpty() ? "-" : String.join(",", hosts);
  }

  private static String endpoints(ResourceRow r) {
    JsonNode s = r.status();
    if (!s.has("totalEndpoints")) {
      return "-";
    }
    return s.path("readyEndpoints").asInt(0) + "/" + s.path("totalEndpoints").asInt(0);
  }

  /** {@code ready/assigned} replicas, every revision (a rollout shows its surge). */
  private static String replicas(ResourceRow r) {
    JsonNode replicas = r.status().path("replicas");
    if (r.status().path("readyReplicas").isMissingNode()) {
      return "-";
    }
    return r.status().path("readyReplicas").asInt() + "/" + replicas.size();
  }

  private static String siteBackends(ResourceRow r) {
    JsonNode b = r.status().path("backends");
    return b.isMissingNode()
        ? "-"
        : b.path("healthy").asInt(0) + "/" + b.path("total").asInt(0) + " healthy";
  }

  private static void field(StringBuilder out, String label, String value) {
    out.append(String.format("%-13s %s%n", label + ":", value));
  }

  private static String yamlOrNone(JsonNode node) {
    if (node.isMissingNode() || node.isNull() || node.isEmpty()) {
      return "<none>\n";
    }
    return write(YAML, node);
  }

  private static String indent(String text) {
    StringBuilder out = new StringBuilder();
    text.lines().forEach(l -> out.append("  ").append(l).append('\n'));
    return out.toString();
  }

  /** Left-aligned columns separated by three spaces, like kubectl; no trailing spaces. */
  static String columns(List<List<String>> lines) {
    int n = lines.get(0).size();
    int[] width = new int[n];
    for (List<String> line : lines) {
      for (int i = 0; i < n; i++) {
        width[i] = Math.max(width[i], line.get(i).length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (List<String> line : lines) {
      StringBuilder l = new StringBuilder();
      for (int i = 0; i < n; i++) {
        l.append(line.get(i));
        if (i < n - 1) {
          l.append(" ".repeat(width[i] - line.get(i).length() + 3));
        }
      }
      out.append(l.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  private static String write(ObjectMapper mapper, JsonNode node) {
    try {
      return mapper.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
