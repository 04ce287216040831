package fr.acecinema.switchboard.probe;

import fr.acecinema.switchboard.api.v1alpha1.BackendStatus.Health.State;

/**
 * The hysteresis state machine of one backend, as a pure function from (snapshot, probe result) to
 * the next snapshot.
 *
 * <p>From Unknown the first result decides, so a restarted hub routes correctly after one probe
 * instead of waiting for a threshold. From Healthy, {@code unhealthyThreshold} failures in a row
 * are needed to flip; from Unhealthy, {@code healthyThreshold} successes in a row, so one lost
 * packet or one lucky answer does not move traffic.
 */
public final class HealthTracker {
  private final int healthyThreshold;
  private final int unhealthyThreshold;

  /**
   * @param healthyThreshold successes in a row that make an Unhealthy backend Healthy, at least 1
   * @param unhealthyThreshold failures in a row that make a Healthy backend Unhealthy, at least 1
   */
  public HealthTracker(int healthyThreshold, int unhealthyThreshold) {
    if (healthyThreshold < 1 || unhealthyThreshold < 1) {
      throw new IllegalArgumentException(
          "thresholds must be at least 1, got healthy="
              + healthyThreshold
              + " unhealthy="
              + unhealthyThreshold);
    }
    this.healthyThreshold = healthyThreshold;
    this.unhealthyThreshold = unhealthyThreshold;
  }

  /** The snapshot after {@code result}, given the snapshot before it. */
  public HealthSnapshot next(HealthSnapshot before, ProbeResult result) {
    int successes = result.success() ? before.consecutiveSuccesses() + 1 : 0;
    int failures = result.success() ? 0 : before.consecutiveFailures() + 1;
    State state = nextState(before.state(), successes, failures);
    return new HealthSnapshot(
        state,
        result.finishedAt(),
        state == before.state() ? before.lastTransitionTime() : result.finishedAt(),
        result.latencyMillis(),
        failures,
        successes,
        result.success() ? null : result.error());
  }

  private State nextState(State before, int successes, int failures) {
    return switch (before) {
      case Unknown -> successes > 0 ? State.Healthy : State.Unhealthy;
      case Healthy -> failures >= unhealthyThreshold ? State.Unhealthy : State.Healthy;
      case Unhealthy -> successes >= healthyThreshold ? State.Healthy : State.Unhealthy;
    };
  }
}
