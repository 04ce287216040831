package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.ACCEPTED;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.VALID;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ResourceStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Instant;

/**
 * Small helpers the reconcilers share for writing conditions.
 *
 * <p>A reconcile writes several conditions of one status at one instant; {@link #on} binds those
 * three once so that each condition is one short line: {@code conditions.set(READY, false,
 * DRAINING, "…")}. Every write goes through {@link ResourceStatus#setCondition}, which keeps {@code
 * lastTransitionTime} while the status does not flip.
 */
final class Conditions {
  private Conditions() {}

  /** A writer for the conditions of {@code resource}'s {@code status}, stamped with {@code now}. */
  static Writer on(ResourceStatus status, HasMetadata resource, Instant now) {
    return new Writer(status, generation(resource), now);
  }

  static boolean isTrue(ResourceStatus status, String type) {
    return status != null && status.condition(type).map(Condition::isTrue).orElse(false);
  }

  static long generation(HasMetadata r) {
    Long g = r.getMetadata().getGeneration();
    return g == null ? 0 : g;
  }

  /** Writes conditions of one status, all observed at one generation and one instant. */
  record Writer(ResourceStatus status, long generation, Instant now) {
    /** Sets {@code type} True or False. */
    void set(String type, boolean value, String reason, String message) {
      set(new Condition(type, value ? Condition.TRUE : Condition.FALSE, reason, message));
    }

    /** Sets {@code type} Unknown: not judged, which is neither up nor down. */
    void unknown(String type, String reason, String message) {
      set(new Condition(type, Condition.UNKNOWN, reason, message));
    }

    /** Accepted True: every reconciler says it the same way once its own checks pass. */
    void accepted() {
      set(ACCEPTED, true, VALID, "spec is valid");
    }

    /** Sets a condition built elsewhere (e.g. the router's Routed). */
    void set(Condition condition) {
      status.setCondition(condition, generation, now);
    }
  }
}
