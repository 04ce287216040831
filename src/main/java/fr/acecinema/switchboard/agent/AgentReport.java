package fr.acecinema.switchboard.agent;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What a site's agent tells the hub at every heartbeat: {@code PUT
 * /apis/switchboard.acecinema.fr/v1alpha1/sites/SITE/agent} with this as JSON, under a token of
 * scope {@code agent} for that site. The hub keeps the last one in memory (it is repeated every
 * {@code interval}) and shows it in the Site's {@code status.agent}; a report older than the last
 * accepted one ({@code sentAt}) is a replay and refused with 409.
 *
 * @param agentVersion the agent's Switchboard version
 * @param engineVersion the Docker engine's version
 * @param hostName the Docker host's name
 * @param sentAt when the agent sent it (its clock); strictly increasing per site
 * @param interval how often the agent reports: the hub judges it gone after three missed
 * @param containers the containers the agent sees that carry {@code switchboard.*} labels
 * @param replicas the Deployment replicas assigned to the site, each with what it does now
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentReport(
    String agentVersion,
    String engineVersion,
    String hostName,
    Instant sentAt,
    Duration interval,
    List<ContainerSeen> containers,
    List<ReplicaReport> replicas) {

  /** At most this many containers per report: a larger one is refused, not truncated. */
  public static final int MAX_CONTAINERS = 500;

  /** At most this many replicas per report: a larger one is refused, not truncated. */
  public static final int MAX_REPLICAS = 500;

  /** A report without replicas (an agent before Deployments, or a site that runs none). */
  public AgentReport(
      String agentVersion,
      String engineVersion,
      String hostName,
      Instant sentAt,
      Duration interval,
      List<ContainerSeen> containers) {
    this(agentVersion, engineVersion, hostName, sentAt, interval, containers, null);
  }

  /**
   * One container as the agent sees it.
   *
   * @param id the engine's container id
   * @param name the container's name
   * @param state running, exited…
   * @param health healthy, unhealthy, starting, or none (no health check)
   * @param backend the Backend it is registered as, absent while it is not (starting, unhealthy,
   *     stopped, or rejected)
   * @param problem why its labels were rejected (names the label and the fix), absent when valid
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ContainerSeen(
      String id, String name, String state, String health, String backend, String problem) {}
}
