package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What every kind reports: the generation it has seen and its conditions. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public abstract class ResourceStatus {
  /** The metadata.generation the status was computed from; older means the status is stale. */
  @JsonPropertyDescription(
      "The metadata.generation the status was computed from; older means the status is stale.")
  public Long observedGeneration;

  /** Kubernetes-style conditions, one per type. */
  @JsonPropertyDescription("Kubernetes-style conditions, one per type.")
  public List<Condition> conditions = new ArrayList<>();

  public Optional<Condition> condition(String type) {
    return conditions.stream().filter(c -> type.equals(c.type)).findFirst();
  }

  /**
   * Sets a condition, keeping its lastTransitionTime when the status did not flip, so that writing
   * the same state twice is a no-op.
   */
  public void setCondition(Condition next, long generation, Instant now) {
    Optional<Condition> previous = condition(next.type);
    next.observedGeneration = generation;
    next.lastTransitionTime =
        previous
            .filter(p -> p.status != null && p.status.equals(next.status))
            .map(p -> p.lastTransitionTime)
            .orElse(now.truncatedTo(ChronoUnit.SECONDS).toString());
    conditions.removeIf(c -> next.type.equals(c.type));
    conditions.add(next);
    conditions.sort(java.util.Comparator.comparing(c -> ConditionTypes.order(c.type)));
  }
}
