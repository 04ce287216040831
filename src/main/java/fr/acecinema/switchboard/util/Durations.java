package fr.acecinema.switchboard.util;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go-style durations as Caddy writes them: {@code 250ms}, {@code 1.5s}, {@code 1m30s}. */
public final class Durations {
  private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)");

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @throws IllegalArgumentException with a message saying what is accepted
   */
  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty duration; write e.g. 500ms, 2s or 1m30s");
    }
    Matcher m = PART.matcher(text);
    int pos = 0;
    double nanos = 0;
    while (pos < text.length()) {
      if (!m.find(pos) || m.start() != pos) {
        throw new IllegalArgumentException(
            "'"
                + text
                + "' is not a duration; write a number and a unit (ms, s, m, h), e.g. 500ms,"
                + " 2s or 1m30s");
      }
      double value = Double.parseDouble(m.group(1));
      nanos +=
          value
              * switch (m.group(2)) {
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
              };
      pos = m.end();
    }
    if (nanos > Duration.ofDays(365).toNanos()) {
      throw new IllegalArgumentException("'" + text + "' is longer than a year");
    }
    return Duration.ofNanos(Math.round(nanos));
  }

  /** Formats as Caddy accepts it: whole milliseconds, e.g. {@code 1500ms}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }
}
