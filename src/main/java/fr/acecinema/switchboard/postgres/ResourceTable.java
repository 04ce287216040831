package fr.acecinema.switchboard.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The {@code resources} table as a source of Site/Service/Backend declarations: rows hold spec and
 * labels written by operators, and the status written back by the reconcilers.
 *
 * <p>The database owns {@code generation}: a trigger bumps it when spec or labels change, and
 * another NOTIFYs {@value ResourceListener#CHANNEL} on those changes and deletions, never on
 * status-only writes.
 */
public final class ResourceTable {
  /** Kinds the table accepts (mirrors the CHECK constraint). */
  public static final Set<String> KINDS = Set.copyOf(fr.acecinema.switchboard.api.Kinds.NAMES);

  private static final Pattern NAME = Pattern.compile("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$");

  private final Database db;

  public ResourceTable(Database db) {
    this.db = db;
  }

  /** Live rows, by kind and name. */
  public List<Row> list() {
    return Jdbc.query(
        db,
        "list resources",
        "SELECT * FROM resources WHERE deleted_at IS NULL ORDER BY kind, name",
        ps -> {},
        ResourceTable::row);
  }

  /** The live row of {@code kind/name}, if any. */
  public Optional<Row> get(String kind, String name) {
    return db.withConnection(
        "get " + kind + "/" + name, c -> live(c, kind, name).stream().findFirst());
  }

  /**
   * Creates or updates a row's spec and labels. Writing identical spec and labels changes nothing
   * (no generation bump, no notification). Returns the row as stored.
   *
   * @throws IllegalArgumentException when kind or name cannot be stored, with the rule to follow
   */
  public Row upsert(String kind, String name, JsonNode spec, JsonNode labels) {
    checkKey(kind, name);
    return db.withConnection(
        "upsert " + kind + "/" + name,
        c -> {
          List<Row> written =
              Jdbc.query(
                  c,
                  """
                  INSERT INTO resources (kind, name, spec, labels)
                  VALUES (?, ?, ?::jsonb, ?::jsonb)
                  ON CONFLICT (kind, name) WHERE deleted_at IS NULL DO UPDATE
                     SET spec = EXCLUDED.spec, labels = EXCLUDED.labels
                   WHERE (resources.spec, resources.labels)
                         IS DISTINCT FROM (EXCLUDED.spec, EXCLUDED.labels)
                  RETURNING *
                  """,
                  ps -> {
                    ps.setString(1, kind);
                    ps.setString(2, name);
                    Json.set(ps, 3, spec == null ? Json.MAPPER.createObjectNode() : spec);
                    Json.set(ps, 4, labels == null ? Json.MAPPER.createObjectNode() : labels);
                  },
                  ResourceTable::row);
          // Nothing returned: the row was already so, and the statement left it alone.
          return written.isEmpty() ? live(c, kind, name).get(0) : written.get(0);
        });
  }

  /**
   * Writes a row's status if the row is still at {@code expectedGeneration}.
   *
   * @return WRITTEN when stored, UNCHANGED when the row already had this status, STALE when the
   *     row's generation moved on or the row is gone (the status describes an outdated spec)
   */
  public StatusWrite writeStatus(
      String kind, String name, long expectedGeneration, JsonNode status) {
    return db.inTransaction(
        "writeStatus " + kind + "/" + name,
        c -> {
          Optional<Current> current =
              Jdbc.query(
                      c,
                      "SELECT id, generation, status = ?::jsonb AS same FROM resources"
                          + " WHERE kind = ? AND name = ? AND deleted_at IS NULL FOR UPDATE",
                      ps -> {
                        Json.set(ps, 1, status);
                        ps.setString(2, kind);
                        ps.setString(3, name);
                      },
                      rs ->
                          new Current(
                              rs.getLong("id"), rs.getLong("generation"), rs.getBoolean("same")))
                  .stream()
                  .findFirst();
          if (current.isEmpty() || current.get().generation() != expectedGeneration) {
            return StatusWrite.STALE;
          }
          if (current.get().same()) {
            return StatusWrite.UNCHANGED;
          }
          Jdbc.update(
              c,
              "UPDATE resources SET status = ?::jsonb WHERE id = ?",
              ps -> {
                Json.set(ps, 1, status);
                ps.setLong(2, current.get().id());
              });
          return StatusWrite.WRITTEN;
        });
  }

  /** The row {@link #writeStatus} compares with, locked until its transaction ends. */
  private record Current(long id, long generation, boolean same) {}

  /** The live row of {@code kind/name}: none, or one (a unique index keeps it so). */
  private static List<Row> live(Connection c, String kind, String name) throws SQLException {
    return Jdbc.query(
        c,
        "SELECT * FROM resources WHERE kind = ? AND name = ? AND deleted_at IS NULL",
        Jdbc.strings(kind, name),
        ResourceTable::row);
  }

  /** Marks the live row deleted (kept as history); returns false when there was none. */
  public boolean delete(String kind, String name) {
    return Jdbc.update(
            db,
            "delete " + kind + "/" + name,
            "UPDATE resources SET deleted_at = now()"
                + " WHERE kind = ? AND name = ? AND deleted_at IS NULL",
            Jdbc.strings(kind, name))
        > 0;
  }

  /**
   * Starts listening for changes on a dedicated connection that reconnects when the database comes
   * back. {@code consumer} gets a {@link Notification.Op#RESYNC} after every (re)connection, since
   * changes made while disconnected were not notified, and is called on the listener's thread.
   */
  public ResourceListener listen(Consumer<Notification> consumer) {
    return ResourceListener.start(db.target(), consumer);
  }

  private static void checkKey(String kind, String name) {
    if (!KINDS.contains(kind)) {
      throw new IllegalArgumentException(
          "kind '" + kind + "' cannot be stored in resources; use one of " + KINDS);
    }
    if (name == null || name.length() > 253 || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "name '"
              + name
              + "' is not a valid resource name; use lower-case letters, digits, '-' and '.',"
              + " starting and ending with a letter or digit, at most 253 characters");
    }
  }

  private static Row row(ResultSet rs) throws SQLException {
    return new Row(
        rs.getLong("id"),
        rs.getString("kind"),
        rs.getString("name"),
        Json.get(rs, "spec"),
        Json.get(rs, "labels"),
        rs.getLong("generation"),
        Json.get(rs, "status"),
        instant(rs.getTimestamp("created_at")),
        instant(rs.getTimestamp("updated_at")));
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }

  /** Outcome of {@link #writeStatus}. */
  public enum StatusWrite {
    WRITTEN,
    UNCHANGED,
    STALE
  }

  /**
   * A live row of the resources table.
   *
   * @param id row id
   * @param kind Site, Service or Backend
   * @param name resource name
   * @param spec the desired state, shaped like the manifest's {@code spec}
   * @param labels label map
   * @param generation bumped by the database on every spec or labels change
   * @param status last status written by the reconcilers, or null
   * @param createdAt insertion time
   * @param updatedAt last change of any column
   */
  public record Row(
      long id,
      String kind,
      String name,
      JsonNode spec,
      JsonNode labels,
      long generation,
      JsonNode status,
      Instant createdAt,
      Instant updatedAt) {}

  /**
   * A change of the table's desired state.
   *
   * @param op what happened
   * @param kind kind of the row (null for RESYNC)
   * @param name name of the row (null for RESYNC)
   * @param generation the row's generation after the change (0 for RESYNC)
   */
  public record Notification(Op op, String kind, String name, long generation) {
    /** Kinds of change. */
    public enum Op {
      /** A row was inserted, or its spec or labels changed, or it was undeleted. */
      UPSERT,
      /** A row was deleted (soft or hard). */
      DELETE,
      /** (Re)connected: changes may have been missed, list the table again. */
      RESYNC
    }

    static Notification resync() {
      return new Notification(Op.RESYNC, null, null, 0);
    }
  }
}
