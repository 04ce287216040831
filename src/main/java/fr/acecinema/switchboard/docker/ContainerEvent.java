package fr.acecinema.switchboard.docker;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One container event of the engine's event stream.
 *
 * @param action what happened
 * @param containerId the container's full id
 * @param name the container's name (from the event's attributes; empty if the engine left it out)
 * @param health for {@link Action#HEALTH_STATUS}, the new status; {@link HealthStatus#NONE}
 *     otherwise
 * @param time when the engine recorded it (nanosecond precision when the engine gives it)
 * @param attributes the event's actor attributes: the container's labels plus the engine's own keys
 *     ({@code name}, {@code image}, {@code exitCode} on die, {@code signal} on kill); a listener
 *     that needs the labels alone re-reads the container through {@link DockerEngine#containers()}
 */
public record ContainerEvent(
    Action action,
    String containerId,
    String name,
    HealthStatus health,
    Instant time,
    Map<String, String> attributes) {

  /** The container actions a site agent acts on; the engine's other actions are not delivered. */
  public enum Action {
    START("start"),
    /**
     * A signal was sent: {@code docker stop} sends the container's stop signal this way before it
     * dies, so a site agent can drain the backend while the container finishes its requests. The
     * attribute {@code signal} holds the signal's number, e.g. {@code 15}.
     */
    KILL("kill"),
    DIE("die"),
    STOP("stop"),
    HEALTH_STATUS("health_status"),
    DESTROY("destroy");

    private final String word;

    Action(String word) {
      this.word = word;
    }

    /** The action as the Engine API writes it, e.g. {@code health_status}. */
    public String word() {
      return word;
    }

    /**
     * Reads an event action; a health event's action carries its status after a colon ({@code
     * health_status: healthy}). Empty for an action not listed here.
     */
    public static Optional<Action> parse(String action) {
      if (action == null) {
        return Optional.empty();
      }
      int colon = action.indexOf(':');
      String head = colon < 0 ? action : action.substring(0, colon);
      for (Action a : values()) {
        if (a.word.equals(head.strip())) {
          return Optional.of(a);
        }
      }
      return Optional.empty();
    }
  }

  public ContainerEvent {
    attributes = Map.copyOf(attributes);
  }
}
