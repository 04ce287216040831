package fr.acecinema.switchboard.postgres;

/**
 * The database could not be reached (down, restarting, refusing connections). Callers keep routing
 * and probing and retry their writes later; nothing about the data is wrong.
 */
public class DatabaseUnavailableException extends DatabaseException {
  public DatabaseUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
