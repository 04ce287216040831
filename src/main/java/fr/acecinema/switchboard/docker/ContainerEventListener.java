package fr.acecinema.switchboard.docker;

/**
 * Receives the container events of one {@link DockerEngine#events} subscription, on the
 * subscription's own thread, in the engine's order. A listener must not block for long: the
 * engine's stream is not read meanwhile.
 */
public interface ContainerEventListener {
  /** One event. An exception thrown here is logged and the stream goes on. */
  void onEvent(ContainerEvent event);

  /**
   * The subscription ended; called exactly once per subscription. Events may have been missed since
   * the last one delivered, so a listener that keeps state re-lists the containers (after
   * subscribing again) rather than trusting what it has.
   */
  void onEnd(End end);

  /**
   * Why a subscription ended.
   *
   * @param reason what ended it
   * @param cause the error, for {@link Reason#FAILED}; null otherwise
   */
  record End(Reason reason, Throwable cause) {
    /** What ended a subscription. */
    public enum Reason {
      /** The subscriber closed it. */
      CLOSED,
      /** The engine ended the stream cleanly (the end of its chunked answer). */
      ENGINE_ENDED,
      /**
       * The connection broke: the engine died, or stopped. dockerd 20.10 on SIGTERM drops its event
       * streams without ending them ("Premature end of chunk coded message body"), so an orderly
       * engine stop arrives here too; either way the listener re-subscribes and re-lists.
       */
      FAILED
    }

    /** e.g. {@code FAILED (java.io.IOException: Connection reset)}. */
    public String describe() {
      return reason + (cause == null ? "" : " (" + cause + ")");
    }
  }
}
