package fr.acecinema.switchboard.docker;

import java.util.Locale;

/** A container's Docker healthcheck status; {@link #NONE} when the container has no healthcheck. */
public enum HealthStatus {
  NONE,
  STARTING,
  HEALTHY,
  UNHEALTHY;

  /**
   * The status as the Engine API writes it ({@code starting}, {@code healthy}, {@code unhealthy},
   * {@code none}); null, blank or an unknown word is {@link #NONE}, so a newer engine's word does
   * not break the reading of a container.
   */
  public static HealthStatus parse(String text) {
    if (text == null) {
      return NONE;
    }
    return switch (text.strip().toLowerCase(Locale.ROOT)) {
      case "starting" -> STARTING;
      case "healthy" -> HEALTHY;
      case "unhealthy" -> UNHEALTHY;
      default -> NONE;
    };
  }
}
