package fr.acecinema.switchboard.util;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * At most one log line per key and period: the first occurrence is logged at once, the ones after
 * it within the period are only counted, and the next line carries that count. A client sending bad
 * tokens or a file the process cannot write would otherwise flood the log with the same line, many
 * times a second, and push out everything else.
 *
 * <p>Keys are forgotten a period after their last line, so a throttle keyed by client address stays
 * small.
 */
public final class LogThrottle {
  private final Duration period;
  private final InstantSource clock;
  private final Map<Object, Window> windows = new ConcurrentHashMap<>();

  /** The period's first line time and how many occurrences were not logged since. */
  private record Window(Instant start, long suppressed) {}

  public LogThrottle(Duration period, InstantSource clock) {
    this.period = period;
    this.clock = clock;
  }

  /** One line per key and minute. */
  public static LogThrottle perMinute() {
    return new LogThrottle(Duration.ofMinutes(1), Clock.systemUTC());
  }

  /**
   * Counts one occurrence of {@code key}; calls {@code log} with the number of occurrences not
   * logged before this one (0 for a first) when a line is due, and does nothing otherwise.
   */
  public void occurred(Object key, LongConsumer log) {
    Instant now = clock.instant();
    long[] due = {-1};
    windows.compute(
        key,
        (k, w) -> {
          if (w == null || !now.isBefore(w.start().plus(period))) {
            due[0] = w == null ? 0 : w.suppressed();
            return new Window(now, 0);
          }
          return new Window(w.start(), w.suppressed() + 1);
        });
    if (windows.size() > 1024) {
      windows.values().removeIf(w -> !now.isBefore(w.start().plus(period.multipliedBy(2))));
    }
    if (due[0] >= 0) {
      log.accept(due[0]);
    }
  }

  /** Forgets {@code key}: its next occurrence is logged at once (e.g. once a file changed). */
  public void reset(Object key) {
    windows.remove(key);
  }

  /** {@code ""}, or {@code " (and N more since the last line)"} when lines were held back. */
  public static String more(long suppressed) {
    return suppressed == 0 ? "" : " (and " + suppressed + " more since the last line)";
  }
}
