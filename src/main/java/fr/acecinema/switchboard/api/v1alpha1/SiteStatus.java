package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** The observed state of a {@link Site}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"observedGeneration", "conditions", "backends", "tunnel", "agent", "hubs"})
public class SiteStatus extends ResourceStatus {
  /** How many of the site's backends are healthy, out of how many. */
  @JsonPropertyDescription("How many of the site's backends are healthy, out of how many.")
  public BackendCount backends;

  /** The WireGuard tunnel as last read from {@code wg show}, when the site declares a peer. */
  @JsonPropertyDescription(
      "The WireGuard tunnel as last read from wg show, when a peer is declared.")
  public TunnelStatus tunnel;

  /** The site's agent as it last reported, when one runs ({@code sbctl agent}). */
  @JsonPropertyDescription("The site's agent as it last reported, when one runs (sbctl agent).")
  public AgentStatus agent;

  /**
   * Hubs sharing the fleet ({@code --leader-election on}): {@code Ready} as each hub sees it, the
   * writing hub first; absent with one hub.
   */
  @JsonPropertyDescription(
      "Hubs sharing the fleet (--leader-election on): Ready as each hub sees it, the writing hub"
          + " first; absent with one hub.")
  public List<HubView> hubs;

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

  /** What the site's agent last reported. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"version", "engineVersion", "hostName", "lastHeartbeat", "containers"})
  public static class AgentStatus {
    /** The agent's Switchboard version. */
    @JsonPropertyDescription("The agent's Switchboard version.")
    public String version;

    /** The Docker engine's version on the site. */
    @JsonPropertyDescription("The Docker engine's version on the site.")
    public String engineVersion;

    /** The Docker host's name. */
    @JsonPropertyDescription("The Docker host's name.")
    public String hostName;

    /**
     * When the hub last received a heartbeat (RFC 3339); refreshed in the file only with the other
     * facts or every probe-status refresh period, so a heartbeat does not rewrite the manifest.
     */
    @JsonPropertyDescription(
        "When the hub last received a heartbeat (RFC 3339), refreshed at most every probe-status"
            + " refresh period unless other facts change.")
    public String lastHeartbeat;

    /** The containers with switchboard.* labels the agent sees. */
    @JsonPropertyDescription("The containers with switchboard.* labels the agent sees.")
    public List<ContainerStatus> containers;
  }

  /** One container as the agent sees it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"name", "state", "health", "backend", "problem"})
  public static class ContainerStatus {
    /** The container's name. */
    @JsonPropertyDescription("The container's name.")
    public String name;

    /** running, exited… as the engine says. */
    @JsonPropertyDescription("running, exited... as the engine says.")
    public String state;

    /** healthy, unhealthy, starting, or none (no Docker health check). */
    @JsonPropertyDescription("healthy, unhealthy, starting, or none (no Docker health check).")
    public String health;

    /** The Backend it is registered as, absent while it is not. */
    @JsonPropertyDescription("The Backend it is registered as, absent while it is not.")
    public String backend;

    /** Why its labels were rejected (names the label and the fix); absent when valid. */
    @JsonPropertyDescription("Why its labels were rejected (names the label and the fix).")
    public String problem;
  }
}
