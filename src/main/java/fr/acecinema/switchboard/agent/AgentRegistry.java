package fr.acecinema.switchboard.agent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

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
    return out;
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
