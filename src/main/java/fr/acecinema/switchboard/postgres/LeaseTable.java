package fr.acecinema.switchboard.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code leases} table: who holds a named lease, until when, and in which epoch. Every time
 * comparison uses the database's clock ({@code now()}), so the hubs' clocks never decide who leads.
 * Statements only: the caller brings the connection (a lease is renewed on a connection of its own,
 * not behind the pool's other users).
 */
public final class LeaseTable {
  /** The lease the hubs of one fleet share. */
  public static final String FLEET = "fleet";

  private LeaseTable() {}

  /**
   * What an attempt saw.
   *
   * @param held whether the caller holds the lease now
   * @param holder who holds it (the caller when {@code held})
   * @param epoch the holder's epoch: the fencing token its writes carry
   * @param left how long the lease runs from the statement, by the database's clock
   */
  public record Attempt(boolean held, String holder, long epoch, Duration left) {}

  /**
   * Takes the lease if it is free or has run out, or renews it if {@code holder} holds it; one
   * statement, so two hubs asking at once never both get it. The epoch grows when the holder
   * changes, and when a holder takes it again after it ran out (its earlier writes may be fenced).
   */
  public static Attempt acquire(Connection c, String name, String holder, Duration ttl)
      throws SQLException {
    String interval = ttl.toMillis() + " milliseconds";
    try (PreparedStatement s =
        c.prepareStatement(
            """
            INSERT INTO leases AS l (name, holder, epoch, acquired_at, renewed_at, expires_at)
            VALUES (?, ?, 1, now(), now(), now() + ?::interval)
            ON CONFLICT (name) DO UPDATE SET
              epoch = CASE WHEN l.holder = excluded.holder AND l.expires_at > now()
                           THEN l.epoch ELSE l.epoch + 1 END,
              acquired_at = CASE WHEN l.holder = excluded.holder AND l.expires_at > now()
                                 THEN l.acquired_at ELSE now() END,
              holder = excluded.holder,
              renewed_at = now(),
              expires_at = excluded.expires_at
            WHERE l.holder = excluded.holder OR l.expires_at <= now()
            RETURNING epoch, (extract(epoch FROM expires_at - now()) * 1000)::bigint
            """)) {
      s.setString(1, name);
      s.setString(2, holder);
      s.setString(3, interval);
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next()) {
          return new Attempt(true, holder, rs.getLong(1), Duration.ofMillis(rs.getLong(2)));
        }
      }
    }
    return current(c, name)
        .orElseThrow(() -> new SQLException("lease " + name + " vanished while asked for"));
  }

  /** Who holds {@code name} now, if anybody ever did; {@code held} is false. */
  public static Optional<Attempt> current(Connection c, String name) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT holder, epoch,"
                + " greatest(0, extract(epoch FROM expires_at - now()) * 1000)::bigint"
                + " FROM leases WHERE name = ?")) {
      s.setString(1, name);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next()
            ? Optional.of(
                new Attempt(
                    false, rs.getString(1), rs.getLong(2), Duration.ofMillis(rs.getLong(3))))
            : Optional.empty();
      }
    }
  }

  /**
   * Ends the lease now if {@code holder} still holds it in {@code epoch} (a hub stopping hands over
   * at once instead of after its lease).
   *
   * @return whether it did
   */
  public static boolean release(Connection c, String name, String holder, long epoch)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "UPDATE leases SET expires_at = now() WHERE name = ? AND holder = ? AND epoch = ?"
                + " AND expires_at > now()")) {
      s.setString(1, name);
      s.setString(2, holder);
      s.setLong(3, epoch);
      return s.executeUpdate() == 1;
    }
  }

  /**
   * Checks, inside the caller's transaction, that {@code holder} holds {@code name} in {@code
   * epoch}, and keeps the lease row locked (shared) until the transaction ends: no other hub can
   * take the lease while the transaction writes.
   *
   * @throws Fence.DeposedException when it does not hold it (any more)
   */
  public static void hold(Connection c, String name, String holder, long epoch)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT 1 FROM leases WHERE name = ? AND holder = ? AND epoch = ?"
                + " AND expires_at > now() FOR SHARE")) {
      s.setString(1, name);
      s.setString(2, holder);
      s.setLong(3, epoch);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          throw new Fence.DeposedException(
              holder + " no longer leads the fleet (epoch " + epoch + " ended)");
        }
      }
    }
  }
}
