package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The observed state of a {@link Backend}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"observedGeneration", "conditions", "health", "hubs"})
public class BackendStatus extends ResourceStatus {
  /** The probed health of the backend. */
  @JsonPropertyDescription("The probed health of the backend.")
  public Health health;

  /**
   * Hubs sharing the fleet ({@code --leader-election on}): {@code Ready} as each hub sees it, the
   * writing hub first; absent with one hub.
   */
  @JsonPropertyDescription(
      "Hubs sharing the fleet (--leader-election on): Ready as each hub sees it, the writing hub"
          + " first; absent with one hub.")
  public java.util.List<HubView> hubs;

  /** Health as seen by the hub's probes. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({
    "state",
    "lastProbeTime",
    "lastTransitionTime",
    "latencyMillis",
    "consecutiveFailures",
    "lastError"
  })
  public static class Health {
    /** Health state. */
    public enum State {
      Unknown,
      Healthy,
      Unhealthy
    }

    /** {@code Healthy}, {@code Unhealthy}, or {@code Unknown} before the first probe. */
    @JsonPropertyDescription("Healthy, Unhealthy, or Unknown before the first probe.")
    public State state;

    /** When the last probe finished (RFC 3339); refreshed in the file at most every resync. */
    @JsonPropertyDescription(
        "When the last probe finished (RFC 3339); refreshed in the file at most every resync.")
    public String lastProbeTime;

    /** When {@link #state} last changed (RFC 3339). */
    @JsonPropertyDescription("When state last changed (RFC 3339).")
    public String lastTransitionTime;

    /** Duration of the last probe in milliseconds. */
    @JsonPropertyDescription("Duration of the last probe in milliseconds.")
    public Long latencyMillis;

    /** Failed probes in a row (0 after a success). */
    @JsonPropertyDescription("Failed probes in a row (0 after a success).")
    public Integer consecutiveFailures;

    /** Why the last failed probe failed; absent once a probe succeeds. */
    @JsonPropertyDescription("Why the last failed probe failed; absent once a probe succeeds.")
    public String lastError;
  }
}
