package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.AGENT_CONNECTED;

import fr.acecinema.switchboard.agent.AgentRegistry;
import fr.acecinema.switchboard.agent.AgentReport;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.SiteStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A Site's agent, as its status says: {@code status.agent} from the last report and the {@code
 * AgentConnected} condition — True {@code Heartbeating}; False {@code HeartbeatMissed} once three
 * announced intervals passed without one; Unknown {@code AwaitingHeartbeat} after a hub restart
 * (the facts written before stay). A site without an agent gets neither. Only a warning: the site's
 * Ready still follows its backends as the hub probes them, so an agent that stops while its
 * containers serve costs no traffic.
 */
final class AgentVerdict {
  /** Heartbeats that may be missed before the agent is judged gone. */
  static final int MISSES = 3;

  static final String HEARTBEATING = "Heartbeating";
  static final String HEARTBEAT_MISSED = "HeartbeatMissed";
  static final String AWAITING_HEARTBEAT = "AwaitingHeartbeat";

  private AgentVerdict() {}

  /**
   * Writes {@code status.agent} and {@code AgentConnected}.
   *
   * @param refresh how old {@code lastHeartbeat} may get in the status when nothing else changed
   * @return when to look again (the moment a missing heartbeat would turn it False)
   */
  static Optional<Duration> apply(
      Site site, SiteStatus status, AgentRegistry agents, Instant now, Duration refresh) {
    String name = site.getMetadata().getName();
    Optional<AgentRegistry.Seen> seen = agents == null ? Optional.empty() : agents.last(name);
    var conditions = Conditions.on(status, site, now);
    if (seen.isEmpty()) {
      if (status.agent != null) {
        conditions.unknown(
            AGENT_CONNECTED,
            AWAITING_HEARTBEAT,
            "no heartbeat since this hub started; the facts below are from before");
      }
      return Optional.empty();
    }
    AgentReport report = seen.get().report();
    SiteStatus.AgentStatus fresh = facts(report, seen.get().receivedAt());
    if (status.agent == null
        || !sameFacts(status.agent, fresh)
        || stale(status.agent.lastHeartbeat, seen.get().receivedAt(), refresh)) {
      status.agent = fresh;
    }
    Duration allowed = report.interval().multipliedBy(MISSES);
    Duration silent = Duration.between(seen.get().receivedAt(), now);
    if (silent.compareTo(allowed) > 0) {
      conditions.set(
          AGENT_CONNECTED,
          false,
          HEARTBEAT_MISSED,
          "no heartbeat from the agent on "
              + report.hostName()
              + " for "
              + silent.toSeconds()
              + " s (every "
              + report.interval().toSeconds()
              + " s expected); its backends are judged by the hub's own probes");
      return Optional.empty();
    }
    conditions.set(
        AGENT_CONNECTED,
        true,
        HEARTBEATING,
        "agent "
            + report.agentVersion()
            + " on "
            + report.hostName()
            + ", Docker "
            + report.engineVersion());
    return Optional.of(allowed.minus(silent).plusMillis(100));
  }

  private static SiteStatus.AgentStatus facts(AgentReport report, Instant receivedAt) {
    SiteStatus.AgentStatus a = new SiteStatus.AgentStatus();
    a.version = report.agentVersion();
    a.engineVersion = report.engineVersion();
    a.hostName = report.hostName();
    a.lastHeartbeat = receivedAt.toString();
    List<AgentReport.ContainerSeen> seen =
        report.containers() == null ? List.of() : report.containers();
    a.containers =
        seen.stream()
            .map(
                c -> {
                  SiteStatus.ContainerStatus s = new SiteStatus.ContainerStatus();
                  s.name = c.name();
                  s.state = c.state();
                  s.health = c.health();
                  s.backend = c.backend();
                  s.problem = c.problem();
                  return s;
                })
            .toList();
    return a;
  }

  private static boolean sameFacts(SiteStatus.AgentStatus a, SiteStatus.AgentStatus b) {
    return Objects.equals(a.version, b.version)
        && Objects.equals(a.engineVersion, b.engineVersion)
        && Objects.equals(a.hostName, b.hostName)
        && containers(a).equals(containers(b));
  }

  private static List<List<String>> containers(SiteStatus.AgentStatus a) {
    return a.containers == null
        ? List.of()
        : a.containers.stream()
            .map(c -> java.util.Arrays.asList(c.name, c.state, c.health, c.backend, c.problem))
            .toList();
  }

  private static boolean stale(String written, Instant received, Duration refresh) {
    try {
      return written == null || Instant.parse(written).plus(refresh).isBefore(received);
    } catch (RuntimeException e) {
      return true;
    }
  }
}
