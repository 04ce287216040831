package fr.acecinema.switchboard.docker;

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
