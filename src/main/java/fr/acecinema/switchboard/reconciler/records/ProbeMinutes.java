package fr.acecinema.switchboard.reconciler.records;

import fr.acecinema.switchboard.postgres.ProbeMinute;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Folds every probe into its backend's current minute, so the database gets one row per backend and
 * minute instead of one per probe. Completed minutes are drained by the journal.
 */
public final class ProbeMinutes {
  private record Key(String backend, Instant minute) {}

  private final Map<Key, ProbeMinute> open = new HashMap<>();

  /** Counts one probe of {@code backend} that finished at {@code at}. */
  public synchronized void add(String backend, Instant at, boolean ok, long latencyMs) {
    Key key = new Key(backend, at.truncatedTo(ChronoUnit.MINUTES));
    open.merge(
        key, ProbeMinute.empty(backend, at).plus(ok, latencyMs), (a, b) -> a.plus(ok, latencyMs));
  }

  /** Removes and returns the minutes that ended before {@code now}'s minute. */
  public synchronized List<ProbeMinute> drainCompleted(Instant now) {
    Instant current = now.truncatedTo(ChronoUnit.MINUTES);
    List<ProbeMinute> out = new ArrayList<>();
    for (Iterator<Map.Entry<Key, ProbeMinute>> it = open.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Key, ProbeMinute> e = it.next();
      if (e.getKey().minute().isBefore(current)) {
        out.add(e.getValue());
        it.remove();
      }
    }
    return out;
  }

  /** Removes and returns every minute, the current ones included (shutdown). */
  public synchronized List<ProbeMinute> drainAll() {
    List<ProbeMinute> out = new ArrayList<>(open.values());
    open.clear();
    return out;
  }
}
