package fr.acecinema.switchboard.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.UUID;

/**
 * One notification, serialized as the JSON body of a webhook.
 *
 * @param id unique per event, so a receiver can drop the duplicates retries may cause
 * @param type {@code BackendDown}, {@code BackendUp}, {@code BackendDrained}, {@code
 *     BackendUndrained}, {@code SiteDown}, {@code SiteUp}, {@code SiteMaintenanceStarted}, {@code
 *     SiteMaintenanceEnded} (see {@link Transitions}) or {@code CaddySyncFailed}
 * @param kind the resource's kind, null for Caddy events
 * @param name the resource's name, null for Caddy events
 * @param condition the condition that changed, {@code Ready}; null for Caddy events
 * @param status the condition's new status ({@code True}/{@code False}); null for Caddy events
 * @param previousStatus the condition's status before
 * @param reason the new condition's reason, e.g. {@code ProbeFailed}
 * @param message the new condition's message, or the Caddy error
 * @param time when the transition was observed
 */
public record WebhookEvent(
    String id,
    String type,
    String kind,
    String name,
    String condition,
    String status,
    String previousStatus,
    String reason,
    String message,
    Instant time) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A transition of a resource, told by one of its conditions. */
  public static WebhookEvent of(
      String type,
      String kind,
      String name,
      String condition,
      String status,
      String previousStatus,
      String reason,
      String message,
      Instant time) {
    return new WebhookEvent(
        UUID.randomUUID().toString(),
        type,
        kind,
        name,
        condition,
        status,
        previousStatus,
        reason,
        message,
        time);
  }

  /** A failed push of routes to Caddy. */
  public static WebhookEvent caddySyncFailed(String message, Instant time) {
    return new WebhookEvent(
        UUID.randomUUID().toString(),
        "CaddySyncFailed",
        null,
        null,
        null,
        null,
        null,
        "CaddySyncFailed",
        message,
        time);
  }

  /** The webhook body. */
  public String json() {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", id);
    o.put("type", type);
    o.put("time", time.toString());
    if (kind != null) {
      o.put("kind", kind);
      o.put("name", name);
      o.put("condition", condition);
      o.put("status", status);
      o.put("previousStatus", previousStatus);
    }
    o.put("reason", reason);
    o.put("message", message);
    return o.toString();
  }
}
