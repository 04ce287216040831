package fr.acecinema.switchboard.operator;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;

/**
 * Gives conditions computed afresh on every request a {@code lastTransitionTime} that moves only
 * when their status or reason changes, so "False since 10:42" survives repeated polling.
 */
public final class TransitionTimes {
  private final Clock clock;
  private final Map<String, Condition> last = new HashMap<>();

  public TransitionTimes(Clock clock) {
    this.clock = clock;
  }

  /** {@code fresh} with the time of its last transition (now when status or reason changed). */
  public synchronized Condition stamp(Condition fresh) {
    Condition previous = last.get(fresh.type);
    Condition out = new Condition(fresh.type, fresh.status, fresh.reason, fresh.message);
    boolean same =
        previous != null
            && previous.status.equals(fresh.status)
            && previous.reason.equals(fresh.reason);
    out.lastTransitionTime =
        same
            ? previous.lastTransitionTime
            : Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    last.put(fresh.type, out);
    return out;
  }
}
