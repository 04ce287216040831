package fr.acecinema.switchboard.postgres;

import java.io.IOException;
import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/** Turns JDBC failures into {@link DatabaseUnavailableException} or {@link DatabaseException}. */
final class SqlErrors {
  private SqlErrors() {}

  static DatabaseException translate(String what, SQLException e) {
    if (isConnectionFailure(e)) {
      return new DatabaseUnavailableException(
          what + " failed: database unavailable (" + rootMessage(e) + ")", e);
    }
    return new DatabaseException(what + " failed: " + e.getMessage(), e);
  }

  /**
   * SQLState class 08 is "connection exception"; 57P01..57P03 are the server shutting down or
   * starting up; Hikari reports a pool that could not get a connection in time as a transient
   * connection exception.
   */
  static boolean isConnectionFailure(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException
          || t instanceof ConnectException
          || t instanceof IOException) {
        return true;
      }
      if (t instanceof SQLException s && s.getSQLState() != null) {
        String state = s.getSQLState();
        if (state.startsWith("08") || state.startsWith("57P")) {
          return true;
        }
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
