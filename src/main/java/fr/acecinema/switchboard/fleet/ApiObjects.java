package fr.acecinema.switchboard.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.source.Origin;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How resources look on the wire: Kubernetes-shaped objects whose {@code metadata.resourceVersion}
 * is {@code <generation>-<status hash>} and whose origin (file and line) is an annotation. The
 * contract shared by the server ({@code server.ApiServer}) and its client ({@code sbctl} with
 * {@code SWITCHBOARD_SERVER}).
 */
public final class ApiObjects {
  public static final String GROUP = "switchboard.acecinema.fr";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;
  public static final String PREFIX = "/apis/" + API_VERSION + "/";

  /** Annotation holding {@code source:location:document:line}; stripped from applied bodies. */
  public static final String ORIGIN = GROUP + "/origin";

  /** Kind by plural, the path segment. */
  public static final Map<String, String> KINDS =
      fr.acecinema.switchboard.api.Kinds.TYPES.stream()
          .collect(
              java.util.stream.Collectors.toUnmodifiableMap(
                  io.fabric8.kubernetes.api.model.HasMetadata::getPlural,
                  io.fabric8.kubernetes.api.model.HasMetadata::getKind));

  /** Change header on apply replies: created, configured or unchanged (sbctl prints it). */
  public static final String CHANGE_HEADER = "X-Switchboard-Change";

  /** Names are DNS labels: this also keeps every name a safe file name (no '/', no '..'). */
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();

  private ApiObjects() {}

  /** Whether {@code name} may appear in a path or in metadata.name. */
  public static boolean validName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** The path segment of a kind: {@code Backend} → {@code backends}. */
  public static String plural(String kind) {
    return KINDS.entrySet().stream()
        .filter(e -> e.getValue().equals(kind))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown kind " + kind));
  }

  /**
   * {@code <generation>-<first 8 hex of SHA-256 of the status>}. Writes compare the generation part
   * only: a status written by the operator never makes a client's copy stale, a spec edit does.
   */
  public static String resourceVersion(long generation, JsonNode status) {
    String text = status == null || status.isMissingNode() ? "" : status.toString();
    return generation
        + "-"
        + HexFormat.of().formatHex(sha256(text), 0, 4).toLowerCase(java.util.Locale.ROOT);
  }

  private static byte[] sha256(String text) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** The generation part of a resourceVersion, empty when it is not one of ours. */
  public static Optional<Long> generationOf(String resourceVersion) {
    if (resourceVersion == null) {
      return Optional.empty();
    }
    int dash = resourceVersion.indexOf('-');
    String g = dash < 0 ? resourceVersion : resourceVersion.substring(0, dash);
    try {
      return Optional.of(Long.parseLong(g));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** An accepted row as an API object. */
  public static ObjectNode object(ResourceRow row) {
    ObjectNode o = JSON.createObjectNode();
    o.put("apiVersion", API_VERSION);
    o.put("kind", row.kind());
    ObjectNode metadata = o.putObject("metadata");
    metadata.put("name", row.name());
    metadata.put("generation", row.generation());
    metadata.put("resourceVersion", resourceVersion(row.generation(), row.status()));
    if (row.created() != null) {
      metadata.put("creationTimestamp", row.created().toString());
    }
    if (row.labels().isObject() && !row.labels().isEmpty()) {
      // Returned so that a read-modify-write (the dashboard's drain, a script) keeps them.
      metadata.set("labels", row.labels());
    }
    if (row.origin() != null) {
      metadata.putObject("annotations").put(ORIGIN, origin(row.origin()));
    }
    o.set("spec", row.spec().isMissingNode() ? JSON.createObjectNode() : row.spec());
    if (!row.status().isMissingNode()) {
      o.set("status", row.status());
    }
    return o;
  }

  /** A rejected row: where, why, and what the file holds. */
  public static ObjectNode rejection(ResourceRow row) {
    ObjectNode o = JSON.createObjectNode();
    if (row.kind() != null) {
      o.put("kind", row.kind());
    }
    if (row.name() != null) {
      o.put("name", row.name());
    }
    if (row.origin() != null) {
      o.put("origin", origin(row.origin()));
    }
    o.put("generation", row.generation());
    o.put("reason", row.errorReason());
    o.put("message", row.error());
    putSpecAndStatus(o, row);
    return o;
  }

  /**
   * Sets the row's spec and status on {@code o}, each only when the row has one: a rejected or
   * never-reconciled row shows no empty placeholder (the API's rejections and {@code sbctl get -o
   * yaml} alike).
   */
  public static void putSpecAndStatus(ObjectNode o, ResourceRow row) {
    if (!row.spec().isMissingNode()) {
      o.set("spec", row.spec());
    }
    if (!row.status().isMissingNode()) {
      o.set("status", row.status());
    }
  }

  /** {@code file:api/x.yaml:0:1}. */
  public static String origin(Origin origin) {
    return origin.source()
        + ":"
        + origin.location()
        + ":"
        + origin.document()
        + ":"
        + origin.line();
  }

  /** The inverse of {@link #origin(Origin)}; null when the text is not one. */
  public static Origin parseOrigin(String text) {
    if (text == null) {
      return null;
    }
    int first = text.indexOf(':');
    int last = text.lastIndexOf(':');
    int beforeLast = last <= 0 ? -1 : text.lastIndexOf(':', last - 1);
    if (first < 0 || beforeLast <= first) {
      return null;
    }
    try {
      return new Origin(
          text.substring(0, first),
          text.substring(first + 1, beforeLast),
          Integer.parseInt(text.substring(beforeLast + 1, last)),
          Integer.parseInt(text.substring(last + 1)));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** A Kubernetes-style failure: {@code {"kind":"Status","status":"Failure",...}}. */
  public static ObjectNode failure(int code, String reason, String message, List<String> details) {
    ObjectNode o = JSON.createObjectNode();
    o.put("kind", "Status");
    o.put("apiVersion", "v1");
    o.put("status", "Failure");
    o.put("code", code);
    o.put("reason", reason);
    o.put("message", message);
    if (details != null && !details.isEmpty()) {
      details.forEach(o.putArray("details")::add);
    }
    return o;
  }

  public static byte[] bytes(JsonNode node) {
    return (node.toString() + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
