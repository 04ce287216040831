package fr.acecinema.switchboard.agent;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One Deployment replica assigned to a site, as its agent last saw it: sent in the heartbeat
 * ({@link AgentReport#replicas()}), kept by the hub ({@link AgentRegistry#replicas}) for the
 * Deployment's conditions.
 *
 * @param name the replica's (and its container's) name, e.g. {@code api-r2-7}
 * @param state what it does now
 * @param reason one CamelCase word for why, absent when it runs as it should: {@link
 *     #IMAGE_NOT_FOUND}, {@link #CREATE_FAILED}, {@link #START_FAILED}, {@link #PORT_IN_USE},
 *     {@link #EXITED}, {@link #FENCED}, {@link #NAME_CONFLICT}
 * @param message what happened and, where there is one, the fix
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ReplicaReport(String name, State state, String reason, String message) {
  /** The longest message sent: an engine's error can be long, the report has to stay small. */
  public static final int MAX_MESSAGE = 1024;

  /** The image is not on the site's engine (sites pull nothing): import it there. */
  public static final String IMAGE_NOT_FOUND = "ImageNotFound";

  /** The engine refused to create the container. */
  public static final String CREATE_FAILED = "CreateFailed";

  /**
   * The port the replica was published on was taken when it started; it is created again on
   * another.
   */
  public static final String PORT_IN_USE = "PortInUse";

  /** The engine refused to start the container. */
  public static final String START_FAILED = "StartFailed";

  /** The container exited; it is started again with backoff. */
  public static final String EXITED = "Exited";

  /** A primary stopped because its agent has not reached the hub for longer than its lease. */
  public static final String FENCED = "Fenced";

  /** A container of that name exists and is not this replica: the agent leaves it alone. */
  public static final String NAME_CONFLICT = "NameConflict";

  /** What a replica does. */
  public enum State {
    /** Its container runs (and passes its healthcheck, if it has one). */
    @JsonProperty("Running")
    RUNNING,
    /** Being created or started, or running while its healthcheck has not passed yet. */
    @JsonProperty("Starting")
    STARTING,
    /** It cannot run: see the reason. */
    @JsonProperty("Failed")
    FAILED,
    /** Stopped on purpose (a fenced primary). */
    @JsonProperty("Stopped")
    STOPPED
  }

  public ReplicaReport {
    if (message != null && message.length() > MAX_MESSAGE) {
      message = message.substring(0, MAX_MESSAGE - 1) + "…";
    }
  }
}
