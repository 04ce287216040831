package fr.acecinema.switchboard.docker;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One container as the engine lists it.
 *
 * @param id the full container id
 * @param name its name without Docker's leading {@code /}
 * @param labels every label of the container (image labels included, as Docker merges them)
 * @param state what the engine says it is doing
 * @param health its healthcheck status, {@link HealthStatus#NONE} without a healthcheck
 * @param startedAt when it was last started; empty if it never was
 * @param exitCode the code of its last exit, 0 while it never exited
 */
public record DockerContainer(
    String id,
    String name,
    Map<String, String> labels,
    State state,
    HealthStatus health,
    Optional<Instant> startedAt,
    int exitCode) {

  /** The engine's container states ({@code State.Status} of the Engine API). */
  public enum State {
    CREATED,
    RUNNING,
    PAUSED,
    RESTARTING,
    REMOVING,
    EXITED,
    DEAD,
    /** A word this adapter does not know (a newer engine), kept rather than failing the list. */
    UNKNOWN;

    /** The state as the Engine API writes it, e.g. {@code running}. */
    public static State parse(String text) {
      if (text == null) {
        return UNKNOWN;
      }
      try {
        return valueOf(text.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return UNKNOWN;
      }
    }
  }

  public DockerContainer {
    labels = Map.copyOf(labels);
  }

  /** A container that never exited. */
  public DockerContainer(
      String id,
      String name,
      Map<String, String> labels,
      State state,
      HealthStatus health,
      Optional<Instant> startedAt) {
    this(id, name, labels, state, health, startedAt, 0);
  }

  /** Whether the container runs and, if it has a healthcheck, passes it. */
  public boolean serving() {
    return state == State.RUNNING
        && (health == HealthStatus.NONE || health == HealthStatus.HEALTHY);
  }
}
