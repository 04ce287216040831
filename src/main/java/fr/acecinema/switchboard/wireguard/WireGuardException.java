package fr.acecinema.switchboard.wireguard;

/** {@code wg} could not be run, failed, timed out or printed something unreadable. */
public final class WireGuardException extends Exception {
  public WireGuardException(String message) {
    super(message);
  }

  public WireGuardException(String message, Throwable cause) {
    super(message, cause);
  }
}
