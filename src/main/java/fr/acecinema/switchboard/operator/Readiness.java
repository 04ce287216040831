package fr.acecinema.switchboard.operator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@code /healthz} and {@code /readyz} report: whether the process is ready (the only thing
 * that decides the HTTP status) and its process-level conditions, {@code Ready} first, then {@code
 * RecordsSynced} when records are on and {@code Routed} when Caddy routing is on. A database or
 * Caddy outage shows in the conditions but never makes the process unready: routing and probing go
 * on, and a supervisor restarting the process for it would only make things worse.
 *
 * @param ready whether {@code /readyz} answers 200
 * @param conditions the process conditions, {@code Ready} first
 */
public record Readiness(boolean ready, List<Condition> conditions) {
  public Readiness {
    conditions = List.copyOf(conditions);
  }

  /** Only the {@code Ready} condition, for a process that knows no more than ready or not. */
  public static Readiness of(boolean ready) {
    return new Readiness(ready, List.of(ProcessConditions.ready(ready, false)));
  }

  /** Not ready because the readiness check itself failed with {@code e}. */
  public static Readiness failed(RuntimeException e) {
    return new Readiness(
        false,
        List.of(
            new Condition(
                ConditionTypes.READY,
                Condition.FALSE,
                ProcessConditions.CHECK_FAILED,
                "the readiness check failed: " + e)));
  }

  /** The same report with {@code Ready} turned False/Stopping: a stop was requested. */
  public Readiness stopping() {
    List<Condition> rest = new ArrayList<>();
    rest.add(ProcessConditions.ready(false, true));
    conditions.stream().filter(c -> !ConditionTypes.READY.equals(c.type)).forEach(rest::add);
    return new Readiness(false, rest);
  }

  /** The condition of {@code type}, if reported. */
  public Optional<Condition> condition(String type) {
    return conditions.stream().filter(c -> type.equals(c.type)).findFirst();
  }

  /**
   * The body of {@code /readyz}: {@code {"status":"ready"|"not ready", "reason": …(when not ready),
   * "conditions":[…]}}.
   */
  public ObjectNode readyzBody() {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("status", ready ? "ready" : "not ready");
    if (!ready) {
      body.put("reason", condition(ConditionTypes.READY).map(c -> c.message).orElse("not ready"));
    }
    body.set("conditions", conditionsJson());
    return body;
  }

  /** The body of {@code /healthz}: {@code {"status":"ok","conditions":[…]}}. */
  public ObjectNode healthzBody() {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("status", "ok");
    body.set("conditions", conditionsJson());
    return body;
  }

  private ArrayNode conditionsJson() {
    ArrayNode list = JsonNodeFactory.instance.arrayNode();
    for (Condition c : conditions) {
      ObjectNode o = list.addObject();
      o.put("type", c.type).put("status", c.status).put("reason", c.reason);
      o.put("message", c.message);
      if (c.lastTransitionTime != null) {
        o.put("lastTransitionTime", c.lastTransitionTime);
      }
    }
    return list;
  }
}
