package fr.acecinema.switchboard.reconciler;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ResourceStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Instant;

/** Small helpers the reconcilers share for writing conditions. */
final class Conditions {
  private Conditions() {}

  static void set(
      ResourceStatus status,
      HasMetadata resource,
      Instant now,
      String type,
      boolean value,
      String reason,
      String message) {
    status.setCondition(
        new Condition(type, value ? Condition.TRUE : Condition.FALSE, reason, message),
        generation(resource),
        now);
  }

  static void unknown(
      ResourceStatus status,
      HasMetadata resource,
      Instant now,
      String type,
      String reason,
      String message) {
    status.setCondition(
        new Condition(type, Condition.UNKNOWN, reason, message), generation(resource), now);
  }

  static boolean isTrue(ResourceStatus status, String type) {
    return status != null && status.condition(type).map(Condition::isTrue).orElse(false);
  }

  static long generation(HasMetadata r) {
    Long g = r.getMetadata().getGeneration();
    return g == null ? 0 : g;
  }
}
