package fr.acecinema.switchboard.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What a write only the fleet's leader may make checks first, in its own transaction: that this hub
 * still holds the lease (and holds the lease row until the transaction ends, so it cannot change
 * hands meanwhile). A hub that does not throws {@link DeposedException} and writes nothing.
 */
@FunctionalInterface
public interface Fence {
  /** No leader election: every write goes through. */
  Fence NONE = c -> {};

  void check(Connection c) throws SQLException;

  /** This hub does not lead the fleet (any more): the write was not made. */
  final class DeposedException extends DatabaseException {
    public DeposedException(String message) {
      super(message, null);
    }
  }
}
