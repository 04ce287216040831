package fr.acecinema.switchboard.docker;

import java.time.Duration;
import java.util.List;

/**
 * What Switchboard reads from a site's Docker engine: its facts, its containers and the events of
 * their lives. Every call is bounded in time; an engine that is missing, stopping or hung fails the
 * call with a {@link DockerEngineException} rather than blocking its caller.
 *
 * <p>The safe pattern for a site agent (level-triggered, like the rest of Switchboard): {@link
 * #events subscribe} first, then {@link #containers() list}, and act on both; when the listener is
 * told the subscription ended, subscribe and list again. An event that arrives between the two
 * repeats what the list shows, so nothing is missed.
 */
public interface DockerEngine extends AutoCloseable {
  /** The engine's version, API version and host name. */
  EngineInfo info() throws DockerEngineException;

  /**
   * Every container of the engine, running or not, with its labels, state, health and start time. A
   * container removed while the list is read is left out.
   */
  List<DockerContainer> containers() throws DockerEngineException;

  /**
   * Subscribes to the container events start, kill, die, stop, health_status and destroy. Returns
   * once the engine accepted the subscription, so an event that happens after this returns is
   * delivered. Close the returned subscription to end it; the listener is then told {@code CLOSED}.
   *
   * @throws DockerEngineException when the engine cannot be reached or refuses; the listener is not
   *     called then
   */
  Subscription events(ContainerEventListener listener) throws DockerEngineException;

  /**
   * Whether {@code image} (e.g. {@code local/api:1.4.2}) is on the engine. Nothing is pulled: sites
   * reach no registry, their images are imported.
   */
  boolean imageExists(String image) throws DockerEngineException;

  /**
   * Creates a container (not started) as {@link ContainerSpec} describes; returns its id.
   *
   * @throws DockerEngineException when the image is not on the engine or the name is taken, the
   *     message saying which
   */
  String create(ContainerSpec spec) throws DockerEngineException;

  /** Starts a container (by name or id); one already running is left as it is. */
  void start(String container) throws DockerEngineException;

  /**
   * Stops a container: SIGTERM (or its image's stop signal), then SIGKILL once {@code timeout} has
   * passed. Returns once it no longer runs; one already stopped is left as it is.
   *
   * @param timeout at most {@link #MAX_STOP_TIMEOUT}, in whole seconds
   */
  void stop(String container, Duration timeout) throws DockerEngineException;

  /** Removes a stopped container; one that is already gone is not an error. */
  void remove(String container) throws DockerEngineException;

  /** The longest stop timeout {@link #stop} accepts: the call is bounded by it. */
  Duration MAX_STOP_TIMEOUT = Duration.ofMinutes(1);

  /** Ends every open subscription and releases the connections. */
  @Override
  void close();

  /** An open event subscription. */
  interface Subscription extends AutoCloseable {
    /** Ends the subscription; idempotent. */
    @Override
    void close();
  }
}
