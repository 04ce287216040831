package fr.acecinema.switchboard.agent;

import fr.acecinema.switchboard.fleet.ApiObjects;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The hub's memory of its sites' agents: the last report of each, when it arrived. Heartbeats are
 * repeated every few seconds, so memory is enough: after a hub restart the next heartbeat fills it
 * again, and until then the Site keeps the agent facts written in its status. A listener hears the
 * site of every accepted report (the Site reconciler is enqueued).
 */
public final class AgentRegistry {
  /** A report and when the hub received it (the hub's clock decides staleness). */
  public record Seen(AgentReport report, Instant receivedAt) {}

  /** What became of a report. */
  public enum Outcome {
    ACCEPTED,
    /** Not sent after the last accepted one: a replay, or a second agent for the same site. */
    REPLAYED
  }

  /** Shortest and longest heartbeat interval an agent may announce. */
  public static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

  public static final Duration MAX_INTERVAL = Duration.ofMinutes(5);

  private static final Pattern REASON = Pattern.compile("[A-Z][A-Za-z0-9]{0,63}");

  private final Clock clock;
  private final Map<String, Seen> bySite = new ConcurrentHashMap<>();
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

  public AgentRegistry(Clock clock) {
    this.clock = clock;
  }

  /** Hears the site of every accepted report. */
  public void onReport(Consumer<String> listener) {
    listeners.add(listener);
  }

  /**
   * Problems that make {@code report} unusable, each naming the field and the fix; empty when it is
   * valid.
   */
  public static List<String> problems(AgentReport report) {
    List<String> out = new java.util.ArrayList<>();
    if (report == null) {
      return List.of("the body is empty; send an AgentReport as JSON");
    }
    if (report.sentAt() == null) {
      out.add("sentAt: required (an RFC 3339 time)");
    }
    if (report.interval() == null
        || report.interval().compareTo(MIN_INTERVAL) < 0
        || report.interval().compareTo(MAX_INTERVAL) > 0) {
      out.add("interval: between " + MIN_INTERVAL + " and " + MAX_INTERVAL + " (ISO-8601)");
    }
    if (report.containers() != null && report.containers().size() > AgentReport.MAX_CONTAINERS) {
      out.add(
          "containers: "
              + report.containers().size()
              + " entries, at most "
              + AgentReport.MAX_CONTAINERS);
    }
    out.addAll(replicaProblems(report.replicas()));
    return out;
  }

  private static List<String> replicaProblems(List<ReplicaReport> replicas) {
    if (replicas == null) {
      return List.of();
    }
    if (replicas.size() > AgentReport.MAX_REPLICAS) {
      return List.of(
          "replicas: " + replicas.size() + " entries, at most " + AgentReport.MAX_REPLICAS);
    }
    List<String> out = new java.util.ArrayList<>();
    for (int i = 0; i < replicas.size(); i++) {
      ReplicaReport r = replicas.get(i);
      String at = "replicas[" + i + "]";
      if (r == null || r.name() == null || !ApiObjects.validName(r.name())) {
        out.add(at + ".name: required, a resource name (lower-case letters, digits and '-')");
      } else if (r.state() == null) {
        out.add(at + ".state: required, one of Running, Starting, Failed, Stopped");
      } else if (r.reason() != null && !REASON.matcher(r.reason()).matches()) {
        out.add(at + ".reason: one CamelCase word of at most 64 letters, e.g. ImageNotFound");
      }
    }
    return out;
  }

  /**
   * The replicas {@code site}'s agent reported in its last heartbeat, by name; empty before its
   * first one (or one without replicas).
   */
  public Map<String, ReplicaReport> replicas(String site) {
    Seen seen = bySite.get(site);
    if (seen == null || seen.report().replicas() == null) {
      return Map.of();
    }
    Map<String, ReplicaReport> out = new java.util.TreeMap<>();
    seen.report().replicas().forEach(r -> out.put(r.name(), r));
    return java.util.Collections.unmodifiableMap(out);
  }

  /** Records {@code report} of {@code site} unless it is older than the last accepted one. */
  public Outcome report(String site, AgentReport report) {
    Instant now = clock.instant();
    boolean[] accepted = {false};
    bySite.compute(
        site,
        (s, last) -> {
          if (last != null && !report.sentAt().isAfter(last.report().sentAt())) {
            return last;
          }
          accepted[0] = true;
          return new Seen(report, now);
        });
    if (!accepted[0]) {
      return Outcome.REPLAYED;
    }
    listeners.forEach(l -> l.accept(site));
    return Outcome.ACCEPTED;
  }

  /** The last report of {@code site}'s agent since this process started. */
  public Optional<Seen> last(String site) {
    return Optional.ofNullable(bySite.get(site));
  }
}
