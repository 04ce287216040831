package fr.acecinema.switchboard.probe;

import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import java.time.Instant;

/**
 * Health of one backend as the probes see it; immutable.
 *
 * @param state Unknown before the first probe, then Healthy or Unhealthy
 * @param lastProbeTime when the last probe finished; null before the first
 * @param lastTransitionTime when {@code state} last changed; null while Unknown
 * @param latencyMillis duration of the last probe; null before the first
 * @param consecutiveFailures failed probes in a row (0 after a success)
 * @param consecutiveSuccesses passed probes in a row (0 after a failure)
 * @param lastError why the last probe failed; null once a probe succeeds
 */
public record HealthSnapshot(
    BackendStatus.Health.State state,
    Instant lastProbeTime,
    Instant lastTransitionTime,
    Long latencyMillis,
    int consecutiveFailures,
    int consecutiveSuccesses,
    String lastError) {

  private static final HealthSnapshot UNKNOWN =
      new HealthSnapshot(BackendStatus.Health.State.Unknown, null, null, null, 0, 0, null);

  /** The snapshot of a backend never probed. */
  public static HealthSnapshot unknown() {
    return UNKNOWN;
  }

  /** The same facts in the shape of {@code Backend.status.health}; times in RFC 3339. */
  public BackendStatus.Health toHealth() {
    BackendStatus.Health h = new BackendStatus.Health();
    h.state = state;
    h.lastProbeTime = lastProbeTime == null ? null : lastProbeTime.toString();
    h.lastTransitionTime = lastTransitionTime == null ? null : lastTransitionTime.toString();
    h.latencyMillis = latencyMillis;
    h.consecutiveFailures = lastProbeTime == null ? null : consecutiveFailures;
    h.lastError = lastError;
    return h;
  }
}
