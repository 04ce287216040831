package fr.acecinema.switchboard.postgres;

/** A database call failed for a reason other than the database being unreachable. */
public class DatabaseException extends RuntimeException {
  public DatabaseException(String message, Throwable cause) {
    super(message, cause);
  }
}
