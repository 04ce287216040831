package fr.acecinema.switchboard.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.runtime.ResourceKey;
import fr.acecinema.switchboard.runtime.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Listens to the store and publishes an event when a watched condition flips: a Backend's {@code
 * Healthy} or {@code Ready}, a Site's {@code Ready}. {@code Down} is a flip from {@code True} to
 * {@code False}; {@code Up} is the flip back, sent only after a {@code Down} (a recovery), so
 * start-up, where every condition goes from pending to {@code True}, pages nobody. A condition
 * appearing for the first time or going through {@code Unknown} is not a flip.
 */
public final class HealthTransitions implements ResourceStore.Listener {
  static final Map<String, List<String>> WATCHED =
      Map.of(
          "Backend", List.of(ConditionTypes.HEALTHY, ConditionTypes.READY),
          "Site", List.of(ConditionTypes.READY));

  private final Notifier notifier;
  private final ObjectMapper mapper;
  private final Clock clock;
  // kind/name/condition that went down and has not recovered yet.
  private final java.util.Set<String> down = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public HealthTransitions(Notifier notifier, ObjectMapper mapper, Clock clock) {
    this.notifier = notifier;
    this.mapper = mapper;
    this.clock = clock;
  }

  @Override
  public void onChange(ResourceKey key, HasMetadata previous, HasMetadata current) {
    List<String> conditions = WATCHED.get(key.kind());
    if (conditions == null || previous == null) {
      return;
    }
    if (current == null) {
      conditions.forEach(type -> down.remove(key + "/" + type));
      return;
    }
    JsonNode before = mapper.valueToTree(previous).path("status").path("conditions");
    JsonNode after = mapper.valueToTree(current).path("status").path("conditions");
    for (String type : conditions) {
      String was = find(before, type).path("status").asText("");
      JsonNode now = find(after, type);
      String is = now.path("status").asText("");
      String id = key + "/" + type;
      boolean wentDown = was.equals("True") && is.equals("False") && down.add(id);
      boolean recovered = was.equals("False") && is.equals("True") && down.remove(id);
      if (wentDown || recovered) {
        notifier.publish(
            WebhookEvent.transition(
                key.kind(),
                key.name(),
                type,
                is,
                was,
                now.path("reason").asText(""),
                now.path("message").asText(""),
                clock.instant()));
      }
    }
  }

  private static JsonNode find(JsonNode conditions, String type) {
    for (JsonNode c : conditions) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }
}
