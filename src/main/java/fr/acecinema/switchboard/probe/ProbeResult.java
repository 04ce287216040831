package fr.acecinema.switchboard.probe;

import java.time.Instant;

/**
 * The outcome of one probe.
 *
 * @param success whether the backend passed the check
 * @param latencyMillis how long the probe took, failed ones included (a timeout takes the timeout)
 * @param error why it failed, e.g. {@code connection refused}; null on success
 * @param finishedAt when the probe finished
 */
public record ProbeResult(boolean success, long latencyMillis, String error, Instant finishedAt) {

  /** A passed probe. */
  public static ProbeResult success(long latencyMillis, Instant finishedAt) {
    return new ProbeResult(true, latencyMillis, null, finishedAt);
  }

  /** A failed probe and why. */
  public static ProbeResult failure(long latencyMillis, String error, Instant finishedAt) {
    return new ProbeResult(false, latencyMillis, error, finishedAt);
  }
}
