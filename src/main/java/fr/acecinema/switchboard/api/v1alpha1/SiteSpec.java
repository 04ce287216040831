package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** The desired state of a {@link Site}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SiteSpec {
  /** The site's subnet in CIDR notation, e.g. {@code 10.200.0.0/24}; every backend lies in it. */
  @JsonPropertyDescription(
      "The site's subnet in CIDR notation, e.g. 10.200.0.0/24; every backend of the site lies in it.")
  @Required
  @PrinterColumn(name = "SUBNET")
  @Pattern("^[0-9a-fA-F.:]+/[0-9]{1,3}$")
  public String subnet;

  /** Preference order for priority failover: lower is preferred. Default 100. */
  @JsonPropertyDescription(
      "Preference order for priority failover: lower is preferred. Default 100.")
  @Min(0)
  @Max(10000)
  public Integer priority;

  /** When true the site's backends stay probed but take no traffic. Default false. */
  @JsonPropertyDescription(
      "When true the site's backends stay probed but take no traffic. Default false.")
  public Boolean maintenance;

  /** The site's WireGuard peer on the hub, used to judge the tunnel; optional. */
  @JsonPropertyDescription(
      "The site's WireGuard peer on the hub, used to judge the tunnel; optional.")
  public WireGuardPeer wireguard;

  /**
   * The most Deployment replicas the site runs, all Deployments together; absent: no limit. A
   * rolling update may run its {@code maxSurge} more for its duration. Replicas the sites cannot
   * place are reported on the Deployment ({@code ReplicaFailure}, {@code InsufficientCapacity}).
   */
  @JsonPropertyDescription(
      "The most Deployment replicas the site runs, all Deployments together; absent: no limit. A"
          + " rolling update may run its maxSurge more for its duration.")
  @Min(0)
  @Max(10000)
  public Integer maxReplicas;

  public int priorityOrDefault() {
    return priority == null ? 100 : priority;
  }

  /** {@link #maxReplicas}, or {@link Integer#MAX_VALUE} when the site sets no limit. */
  public int maxReplicasOrUnlimited() {
    return maxReplicas == null ? Integer.MAX_VALUE : maxReplicas;
  }

  public boolean inMaintenance() {
    return Boolean.TRUE.equals(maintenance);
  }
}
