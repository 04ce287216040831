package fr.acecinema.switchboard.agent;

/**
 * A call to the hub failed. The {@link #kind()} is what the agent acts on; the message names the
 * call, the hub, its answer and, where there is one, the fix.
 */
public final class HubException extends Exception {
  /** What a failure means for the caller. */
  public enum Kind {
    /**
     * 400, 403 or 422: the hub refuses this request as written (not this site's, an address outside
     * its subnet, a name owned by someone else, an invalid spec). Sending it again changes nothing.
     */
    REFUSED,
    /** 409 on a heartbeat: its {@code sentAt} is not after the last one the hub accepted. */
    REPLAY,
    /** No answer, a timeout, a 5xx, or another answer the agent cannot act on: retry later. */
    UNAVAILABLE
  }

  private final Kind kind;
  private final int status;

  /**
   * @param kind what the failure means
   * @param status the HTTP status, 0 when there was no answer
   */
  public HubException(Kind kind, int status, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.status = status;
  }

  public HubException(Kind kind, int status, String message) {
    this(kind, status, message, null);
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status, 0 when the hub did not answer. */
  public int status() {
    return status;
  }
}
