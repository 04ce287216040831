package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The observed state of a {@link Site}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"observedGeneration", "conditions", "backends", "tunnel"})
public class SiteStatus extends ResourceStatus {
  /** How many of the site's backends are healthy, out of how many. */
  @JsonPropertyDescription("How many of the site's backends are healthy, out of how many.")
  public BackendCount backends;

  /** The WireGuard tunnel as last read from {@code wg show}, when the site declares a peer. */
  @JsonPropertyDescription(
      "The WireGuard tunnel as last read from wg show, when a peer is declared.")
  public TunnelStatus tunnel;

  /** Healthy/total backend counts. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class BackendCount {
    /** Backends whose health check passes. */
    @JsonPropertyDescription("Backends whose health check passes.")
    public int healthy;

    /** Backends declared on this site. */
    @JsonPropertyDescription("Backends declared on this site.")
    public int total;

    public BackendCount() {}

    public BackendCount(int healthy, int total) {
      this.healthy = healthy;
      this.total = total;
    }
  }

  /** What {@code wg show dump} says of the site's peer. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class TunnelStatus {
    /** Time of the last handshake (RFC 3339), absent when there was none. */
    @JsonPropertyDescription("Time of the last handshake (RFC 3339), absent when there was none.")
    public String latestHandshake;

    /** Bytes received from the peer. */
    @JsonPropertyDescription("Bytes received from the peer.")
    public Long rxBytes;

    /** Bytes sent to the peer. */
    @JsonPropertyDescription("Bytes sent to the peer.")
    public Long txBytes;
  }
}
