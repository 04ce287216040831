package fr.acecinema.switchboard.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code hubs} and {@code hub_views} tables: what each hub of a shared fleet sees of each
 * Backend and Site ({@code Ready} there), and when each hub was last heard. A hub writes rows of
 * its own name only.
 */
public final class HubViewTable {
  private HubViewTable() {}

  /**
   * One hub's view of one resource.
   *
   * @param status {@code True}, {@code False}, {@code Unknown}
   * @param silentMillis how long ago its hub was last heard, by the database's clock (0 on write)
   */
  public record Row(
      String hub,
      String kind,
      String name,
      String status,
      String reason,
      Instant since,
      long silentMillis) {}

  /** Marks {@code hub} as running now. */
  public static void touch(Connection c, String hub) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO hubs (hub, seen_at) VALUES (?, now())"
                + " ON CONFLICT (hub) DO UPDATE SET seen_at = now()")) {
      s.setString(1, hub);
      s.executeUpdate();
    }
  }

  /** Writes views of the caller's hub; a null status deletes the view (the resource is gone). */
  public static void write(Connection c, List<Row> rows) throws SQLException {
    try (PreparedStatement up =
            c.prepareStatement(
                "INSERT INTO hub_views (hub, kind, name, status, reason, since, seen_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, now()) ON CONFLICT (hub, kind, name) DO UPDATE"
                    + " SET status = excluded.status, reason = excluded.reason,"
                    + " since = excluded.since, seen_at = now()");
        PreparedStatement del =
            c.prepareStatement("DELETE FROM hub_views WHERE hub = ? AND kind = ? AND name = ?")) {
      for (Row r : rows) {
        if (r.status() == null) {
          del.setString(1, r.hub());
          del.setString(2, r.kind());
          del.setString(3, r.name());
          del.addBatch();
        } else {
          up.setString(1, r.hub());
          up.setString(2, r.kind());
          up.setString(3, r.name());
          up.setString(4, r.status());
          up.setString(5, r.reason());
          up.setTimestamp(6, r.since() == null ? null : Timestamp.from(r.since()));
          up.addBatch();
        }
      }
      up.executeBatch();
      del.executeBatch();
    }
  }

  /** Every view of the hubs other than {@code self}, with how long ago each hub was heard. */
  public static List<Row> others(Connection c, String self) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT v.hub, v.kind, v.name, v.status, v.reason, v.since,"
                + " (extract(epoch FROM now() - coalesce(h.seen_at, v.seen_at)) * 1000)::bigint"
                + " FROM hub_views v LEFT JOIN hubs h ON h.hub = v.hub WHERE v.hub <> ?"
                + " ORDER BY v.kind, v.name, v.hub")) {
      s.setString(1, self);
      List<Row> out = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          Timestamp since = rs.getTimestamp(6);
          out.add(
              new Row(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5),
                  since == null ? null : since.toInstant(),
                  Math.max(0, rs.getLong(7))));
        }
      }
      return out;
    }
  }
}
