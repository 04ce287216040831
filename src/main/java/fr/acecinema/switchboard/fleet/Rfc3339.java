package fr.acecinema.switchboard.fleet;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** Times as written in manifests ({@code creationTimestamp}, {@code lastTransitionTime}). */
public final class Rfc3339 {
  private Rfc3339() {}

  /** Parses an RFC 3339 time, null when absent or malformed (status is user-editable text). */
  public static Instant parse(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
