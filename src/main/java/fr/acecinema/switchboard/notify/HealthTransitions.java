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
 * Listens to the store and publishes an event when a watched condition flips between {@code True}
 * and {@code False}: a Backend's {@code Healthy} or {@code Ready}, a Site's {@code Ready}. A
 * condition appearing for the first time, or going through {@code Unknown}, is not a transition
 * (start-up would otherwise page for every backend).
 */
public final class HealthTransitions implements ResourceStore.Listener {
  static final Map<String, List<String>> WATCHED =
      Map.of(
          "Backend", List.of(ConditionTypes.HEALTHY, ConditionTypes.READY),
          "Site", List.of(ConditionTypes.READY));

  private final Notifier notifier;
  private final ObjectMapper mapper;
  private final Clock clock;

  public HealthTransitions(Notifier notifier, ObjectMapper mapper, Clock clock) {
    this.notifier = notifier;
    this.mapper = mapper;
    this.clock = clock;
  }

  @Override
  public void onChange(ResourceKey key, HasMetadata previous, HasMetadata current) {
    List<String> conditions = WATCHED.get(key.kind());
    if (conditions == null || previous == null || current == null) {
      return;
    }
    JsonNode before = mapper.valueToTree(previous).path("status").path("conditions");
    JsonNode after = mapper.valueToTree(current).path("status").path("conditions");
    for (String type : conditions) {
      String was = find(before, type).path("status").asText("");
      JsonNode now = find(after, type);
      String is = now.path("status").asText("");
      if (definite(was) && definite(is) && !was.equals(is)) {
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

  private static boolean definite(String status) {
    return status.equals("True") || status.equals("False");
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
