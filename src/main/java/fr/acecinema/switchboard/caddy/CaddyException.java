package fr.acecinema.switchboard.caddy;

import java.io.IOException;

/** Caddy's admin API failed; subclasses say how. */
public class CaddyException extends IOException {
  public CaddyException(String message) {
    super(message);
  }

  public CaddyException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Caddy refused the config; the previous config keeps serving. */
  public static final class Rejected extends CaddyException {
    private final int status;
    private final String caddyMessage;

    public Rejected(int status, String caddyMessage) {
      super("Caddy refused the config (HTTP " + status + "): " + caddyMessage);
      this.status = status;
      this.caddyMessage = caddyMessage;
    }

    /** HTTP status of the admin API answer (400 for /load, 500 for path operations). */
    public int status() {
      return status;
    }

    /** Caddy's own error text, e.g. {@code json: unknown field "bogus"}. */
    public String caddyMessage() {
      return caddyMessage;
    }
  }

  /** Someone changed our part of the config between our read and our write (412). */
  public static final class Conflict extends CaddyException {
    public Conflict(String message) {
      super(message);
    }
  }

  /** The admin API cannot be reached (refused, timeout): Caddy is down or elsewhere. */
  public static final class Unreachable extends CaddyException {
    public Unreachable(String adminUrl, IOException cause) {
      super(
          "Caddy admin API at "
              + adminUrl
              + " is unreachable ("
              + cause.getMessage()
              + "); is Caddy running, and is the admin address right?",
          cause);
    }
  }
}
