package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.fleet.Rfc3339;
import java.time.Duration;
import java.time.Instant;

/** Ages the way kubectl prints them: {@code 45s}, {@code 3m12s}, {@code 5h}, {@code 12d}. */
public final class Ages {
  private Ages() {}

  /** Age of {@code since} at {@code now}; {@code <unknown>} when since is null. */
  public static String of(Instant since, Instant now) {
    if (since == null) {
      return "<unknown>";
    }
    return format(Duration.between(since, now));
  }

  /** Formats a non-negative duration (negative ones, from clock skew, print as 0s). */
  public static String format(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s < 120) {
      return s + "s";
    }
    long m = s / 60;
    if (m < 10) {
      return s % 60 == 0 ? m + "m" : m + "m" + (s % 60) + "s";
    }
    long h = m / 60;
    if (h < 3) {
      return m + "m";
    }
    if (h < 8) {
      return m % 60 == 0 ? h + "h" : h + "h" + (m % 60) + "m";
    }
    if (h < 48) {
      return h + "h";
    }
    long days = h / 24;
    if (days < 8) {
      return h % 24 == 0 ? days + "d" : days + "d" + (h % 24) + "h";
    }
    if (days < 365 * 2) {
      return days + "d";
    }
    long years = days / 365;
    return days % 365 == 0 ? years + "y" : years + "y" + (days % 365) + "d";
  }

  /** Parses an RFC 3339 time, null when absent or malformed (status is user-editable text). */
  public static Instant parse(String text) {
    return Rfc3339.parse(text);
  }
}
