package fr.acecinema.switchboard.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Platform records written by the reconcilers and read by the CLI: inventory, health transitions,
 * per-minute probe aggregates, Caddy config revisions, events and Deployment revisions. Every
 * method throws {@link DatabaseUnavailableException} within the pool's connection timeout when the
 * database is down.
 */
public final class RecordsRepository {
  private final Database db;

  public RecordsRepository(Database db) {
    this.db = db;
  }

  // ---- inventory ---------------------------------------------------------------------------

  /**
   * Records a resource as seen now. Creates a new lifetime row when none is live, else updates the
   * live one (only when something changed, so updated_at means "last change").
   */
  public void upsertInventory(
      String kind, String name, String source, JsonNode spec, JsonNode status, long generation) {
    Jdbc.update(
        db,
        "upsertInventory " + kind + "/" + name,
        """
                  INSERT INTO inventory (kind, name, source, spec, status, generation)
                  VALUES (?, ?, ?, ?::jsonb, ?::jsonb, ?)
                  ON CONFLICT (kind, name) WHERE deleted_at IS NULL DO UPDATE
                     SET source = EXCLUDED.source, spec = EXCLUDED.spec,
                         status = EXCLUDED.status, generation = EXCLUDED.generation,
                         updated_at = now()
                   WHERE (inventory.source, inventory.spec, inventory.status, inventory.generation)
                         IS DISTINCT FROM
                         (EXCLUDED.source, EXCLUDED.spec, EXCLUDED.status, EXCLUDED.generation)
                  """,
        ps -> {
          ps.setString(1, kind);
          ps.setString(2, name);
          ps.setString(3, source);
          Json.set(ps, 4, spec == null ? Json.MAPPER.createObjectNode() : spec);
          Json.set(ps, 5, status);
          ps.setLong(6, generation);
        });
  }

  /** Ends the live lifetime of a resource; returns false when it had none. */
  public boolean markDeleted(String kind, String name) {
    return Jdbc.update(
            db,
            "markDeleted " + kind + "/" + name,
            "UPDATE inventory SET deleted_at = now(), updated_at = now()"
                + " WHERE kind = ? AND name = ? AND deleted_at IS NULL",
            Jdbc.strings(kind, name))
        > 0;
  }

  /** Live inventory of one kind (null: all kinds), by kind and name. */
  public List<InventoryRecord> inventory(String kind) {
    return Jdbc.query(
        db,
        "inventory",
        "SELECT * FROM inventory WHERE deleted_at IS NULL AND (?::text IS NULL OR kind = ?)"
            + " ORDER BY kind, name",
        Jdbc.strings(kind, kind),
        RecordsRepository::inventoryRecord);
  }

  /** Every lifetime of one resource, oldest first, the live one (if any) last. */
  public List<InventoryRecord> inventoryHistory(String kind, String name) {
    return Jdbc.query(
        db,
        "inventoryHistory " + kind + "/" + name,
        "SELECT * FROM inventory WHERE kind = ? AND name = ? ORDER BY first_seen, id",
        Jdbc.strings(kind, name),
        RecordsRepository::inventoryRecord);
  }

  // ---- health ------------------------------------------------------------------------------

  /** Appends one health transition. */
  public void appendHealthTransition(HealthTransition t) {
    Jdbc.update(
        db,
        "appendHealthTransition " + t.backend(),
        "INSERT INTO health_transitions"
            + " (backend, from_state, to_state, reason, message, latency_ms, at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?)",
        ps -> {
          ps.setString(1, t.backend());
          ps.setString(2, t.fromState());
          ps.setString(3, t.toState());
          ps.setString(4, t.reason());
          ps.setString(5, t.message());
          if (t.latencyMs() == null) {
            ps.setNull(6, Types.INTEGER);
          } else {
            ps.setInt(6, t.latencyMs());
          }
          ps.setTimestamp(7, Timestamp.from(t.at() == null ? Instant.now() : t.at()));
        });
  }

  /** The latest {@code limit} transitions of a backend, newest first. */
  public List<HealthTransition> healthHistory(String backend, int limit) {
    return healthHistory(backend, null, limit);
  }

  /**
   * The latest {@code limit} transitions at or after {@code since}, newest first; a null backend
   * means every backend, a null since all time.
   */
  public List<HealthTransition> healthHistory(String backend, Instant since, int limit) {
    return Jdbc.query(
        db,
        "healthHistory " + (backend == null ? "*" : backend),
        "SELECT * FROM health_transitions WHERE (?::text IS NULL OR backend = ?)"
            + " AND (?::timestamptz IS NULL OR at >= ?)"
            + " ORDER BY at DESC, id DESC LIMIT ?",
        ps -> {
          ps.setString(1, backend);
          ps.setString(2, backend);
          Timestamp from = since == null ? null : Timestamp.from(since);
          ps.setTimestamp(3, from);
          ps.setTimestamp(4, from);
          ps.setInt(5, limit);
        },
        rs ->
            new HealthTransition(
                rs.getString("backend"),
                rs.getString("from_state"),
                rs.getString("to_state"),
                rs.getString("reason"),
                rs.getString("message"),
                (Integer) rs.getObject("latency_ms"),
                rs.getTimestamp("at").toInstant()));
  }

  // ---- probe minutes -----------------------------------------------------------------------

  /**
   * Adds per-minute aggregates in one batch; a minute already stored is merged (counts and sums
   * added, maximum kept), so callers may flush a minute more than once.
   */
  public void recordProbeMinutes(List<ProbeMinute> minutes) {
    if (minutes.isEmpty()) {
      return;
    }
    db.inTransaction(
        "recordProbeMinutes",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  """
                  INSERT INTO probe_minutes AS p
                      (backend, minute, probes, failures, latency_sum_ms, latency_max_ms,
                       latency_buckets)
                  VALUES (?, ?, ?, ?, ?, ?, ?)
                  ON CONFLICT (backend, minute) DO UPDATE SET
                      probes = p.probes + EXCLUDED.probes,
                      failures = p.failures + EXCLUDED.failures,
                      latency_sum_ms = p.latency_sum_ms + EXCLUDED.latency_sum_ms,
                      latency_max_ms = GREATEST(p.latency_max_ms, EXCLUDED.latency_max_ms),
                      latency_buckets = ARRAY(
                          SELECT a + b FROM unnest(p.latency_buckets, EXCLUDED.latency_buckets)
                                            WITH ORDINALITY AS t(a, b, i) ORDER BY i)
                  """)) {
            for (ProbeMinute m : minutes) {
              ps.setString(1, m.backend());
              ps.setTimestamp(2, Timestamp.from(m.minute()));
              ps.setInt(3, m.probes());
              ps.setInt(4, m.failures());
              ps.setLong(5, m.latencySumMs());
              ps.setInt(6, m.latencyMaxMs());
              ps.setArray(7, intArray(c, m.latencyBuckets()));
              ps.addBatch();
            }
            ps.executeBatch();
            return null;
          }
        });
  }

  /** Convenience for a single minute; see {@link #recordProbeMinutes(List)}. */
  public void recordProbeMinute(ProbeMinute minute) {
    recordProbeMinutes(List.of(minute));
  }

  /** A backend's aggregates with {@code from <= minute < to}, oldest first. */
  public List<ProbeMinute> probeMinutes(String backend, Instant from, Instant to) {
    return Jdbc.query(
        db,
        "probeMinutes " + backend,
        "SELECT * FROM probe_minutes WHERE backend = ? AND minute >= ? AND minute < ?"
            + " ORDER BY minute",
        ps -> {
          ps.setString(1, backend);
          ps.setTimestamp(2, Timestamp.from(from));
          ps.setTimestamp(3, Timestamp.from(to));
        },
        rs -> {
          Integer[] buckets = (Integer[]) rs.getArray("latency_buckets").getArray();
          int[] b = new int[buckets.length];
          for (int i = 0; i < b.length; i++) {
            b[i] = buckets[i];
          }
          return new ProbeMinute(
              rs.getString("backend"),
              rs.getTimestamp("minute").toInstant(),
              rs.getInt("probes"),
              rs.getInt("failures"),
              rs.getLong("latency_sum_ms"),
              rs.getInt("latency_max_ms"),
              b);
        });
  }

  /** Deletes aggregates older than {@code keep}; returns how many rows went. */
  public long pruneProbeMinutes(Duration keep) {
    return prune("prune_probe_minutes", keep);
  }

  // ---- config revisions --------------------------------------------------------------------

  /** Records a push to Caddy; returns the revision id. */
  public long recordRevision(
      String hash, JsonNode content, ConfigRevision.Result result, String error) {
    return Jdbc.one(
        db,
        "recordRevision " + hash,
        "INSERT INTO config_revisions (hash, content, result, error)"
            + " VALUES (?, ?::jsonb, ?, ?) RETURNING id",
        ps -> {
          ps.setString(1, hash);
          Json.set(ps, 2, content);
          ps.setString(3, result.name());
          ps.setString(4, error);
        },
        rs -> rs.getLong(1));
  }

  /** The latest {@code limit} revisions, newest first. */
  public List<ConfigRevision> revisions(int limit) {
    return Jdbc.query(
        db,
        "revisions",
        "SELECT * FROM config_revisions ORDER BY pushed_at DESC, id DESC LIMIT ?",
        ps -> ps.setInt(1, limit),
        rs ->
            new ConfigRevision(
                rs.getLong("id"),
                rs.getString("hash"),
                Json.get(rs, "content"),
                rs.getTimestamp("pushed_at").toInstant(),
                ConfigRevision.Result.valueOf(rs.getString("result")),
                rs.getString("error")));
  }

  // ---- events ------------------------------------------------------------------------------

  /**
   * Records an event; an identical one (object, type, reason, message) is counted instead of
   * repeated. Returns the event's count after this occurrence.
   */
  public int recordEvent(String kind, String name, EventType type, String reason, String message) {
    return Jdbc.one(
        db,
        "recordEvent " + kind + "/" + name,
        """
                  INSERT INTO events AS e (object_kind, object_name, type, reason, message)
                  VALUES (?, ?, ?, ?, ?)
                  ON CONFLICT (object_kind, object_name, type, reason, md5(message))
                  DO UPDATE SET count = e.count + 1, last_seen = now()
                  RETURNING count
                  """,
        ps -> {
          ps.setString(1, kind);
          ps.setString(2, name);
          ps.setString(3, type.stored());
          ps.setString(4, reason);
          ps.setString(5, message);
        },
        rs -> rs.getInt(1));
  }

  /**
   * Events of one object, most recently seen first; null kind and name mean every object, null name
   * every object of the kind.
   */
  public List<EventRecord> events(String kind, String name, int limit) {
    return Jdbc.query(
        db,
        "events",
        "SELECT * FROM events WHERE (?::text IS NULL OR object_kind = ?)"
            + " AND (?::text IS NULL OR object_name = ?)"
            + " ORDER BY last_seen DESC, id DESC LIMIT ?",
        ps -> {
          ps.setString(1, kind);
          ps.setString(2, kind);
          ps.setString(3, name);
          ps.setString(4, name);
          ps.setInt(5, limit);
        },
        RecordsRepository::event);
  }

  private static EventRecord event(java.sql.ResultSet rs) throws java.sql.SQLException {
    return new EventRecord(
        rs.getString("object_kind"),
        rs.getString("object_name"),
        EventType.fromStored(rs.getString("type")),
        rs.getString("reason"),
        rs.getString("message"),
        rs.getInt("count"),
        rs.getTimestamp("first_seen").toInstant(),
        rs.getTimestamp("last_seen").toInstant());
  }

  /**
   * The last health event of every backend and site that has one: its reason ({@code BackendDown},
   * {@code BackendUp}, {@code SiteDown}, {@code SiteUp}) by object. What a hub taking the lead
   * compares with what it sees ({@code Transitions.catchUp}).
   */
  public java.util.Map<fr.acecinema.switchboard.api.ResourceKey, EventRecord> lastHealthEvents() {
    java.util.Map<fr.acecinema.switchboard.api.ResourceKey, EventRecord> out =
        new java.util.HashMap<>();
    Jdbc.query(
            db,
            "last health events",
            "SELECT DISTINCT ON (object_kind, object_name) * FROM events"
                + " WHERE reason IN ('BackendDown', 'BackendUp', 'SiteDown', 'SiteUp')"
                + " ORDER BY object_kind, object_name, last_seen DESC, id DESC",
            ps -> {},
            RecordsRepository::event)
        .forEach(e -> out.put(new fr.acecinema.switchboard.api.ResourceKey(e.kind(), e.name()), e));
    return out;
  }

  /** Deletes events not seen for longer than {@code keep}; returns how many rows went. */
  public long pruneEvents(Duration keep) {
    return prune("prune_events", keep);
  }

  // ---- deployment revisions ----------------------------------------------------------------

  /**
   * Records a Deployment's revision, or moves its state. A row's state only moves on from {@code
   * RollingOut} (a finished rollout stays as it ended, whatever a later write from a restarted
   * operator says), except when the template differs: the name was deleted and declared again, its
   * numbers started over, and the new revision replaces the old lifetime's row.
   */
  public void upsertDeploymentRevision(DeploymentRevision r) {
    Jdbc.update(
        db,
        "upsertDeploymentRevision " + r.deployment() + "/" + r.revision(),
        """
                  INSERT INTO deployment_revisions AS d
                      (deployment, revision, hash, image, port, env, primary_env, state,
                       created_at, state_changed_at)
                  VALUES (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?)
                  ON CONFLICT (deployment, revision) DO UPDATE SET
                      hash = EXCLUDED.hash, image = EXCLUDED.image, port = EXCLUDED.port,
                      env = EXCLUDED.env, primary_env = EXCLUDED.primary_env,
                      state = EXCLUDED.state,
                      created_at = CASE WHEN d.hash = EXCLUDED.hash THEN d.created_at
                                        ELSE EXCLUDED.created_at END,
                      state_changed_at = EXCLUDED.state_changed_at
                   WHERE d.hash <> EXCLUDED.hash
                      OR (d.state = 'RollingOut' AND EXCLUDED.state <> 'RollingOut')
                  """,
        ps -> {
          ps.setString(1, r.deployment());
          ps.setInt(2, r.revision());
          ps.setString(3, r.hash());
          ps.setString(4, r.image());
          if (r.port() == null) {
            ps.setNull(5, Types.INTEGER);
          } else {
            ps.setInt(5, r.port());
          }
          Json.set(ps, 6, Json.MAPPER.valueToTree(r.env()));
          Json.set(ps, 7, Json.MAPPER.valueToTree(r.primaryEnv()));
          ps.setString(8, r.state().stored());
          ps.setTimestamp(9, Timestamp.from(r.createdAt()));
          ps.setTimestamp(10, Timestamp.from(r.stateChangedAt()));
        });
  }

  /** A Deployment's latest {@code limit} revisions, newest (highest number) first. */
  public List<DeploymentRevision> deploymentRevisions(String deployment, int limit) {
    return Jdbc.query(
        db,
        "deploymentRevisions " + deployment,
        "SELECT * FROM deployment_revisions WHERE deployment = ? ORDER BY revision DESC LIMIT ?",
        ps -> {
          ps.setString(1, deployment);
          ps.setInt(2, limit);
        },
        rs ->
            new DeploymentRevision(
                rs.getString("deployment"),
                rs.getInt("revision"),
                rs.getString("hash"),
                rs.getString("image"),
                (Integer) rs.getObject("port"),
                stringMap(Json.get(rs, "env")),
                stringMap(Json.get(rs, "primary_env")),
                DeploymentRevision.State.fromStored(rs.getString("state")),
                rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("state_changed_at").toInstant()));
  }

  // ---- helpers -----------------------------------------------------------------------------

  private long prune(String function, Duration keep) {
    return Jdbc.one(
        db,
        function,
        "SELECT " + function + "(make_interval(secs => ?))",
        ps -> ps.setDouble(1, keep.toMillis() / 1000.0),
        rs -> rs.getLong(1));
  }

  private static Map<String, String> stringMap(JsonNode node) {
    Map<String, String> out = new TreeMap<>();
    if (node != null) {
      node.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
    }
    return out;
  }

  private static Array intArray(Connection c, int[] values) throws SQLException {
    Integer[] boxed = new Integer[values.length];
    for (int i = 0; i < values.length; i++) {
      boxed[i] = values[i];
    }
    return c.createArrayOf("integer", boxed);
  }

  private static InventoryRecord inventoryRecord(ResultSet rs) throws SQLException {
    Timestamp deleted = rs.getTimestamp("deleted_at");
    return new InventoryRecord(
        rs.getLong("id"),
        rs.getString("kind"),
        rs.getString("name"),
        rs.getString("source"),
        Json.get(rs, "spec"),
        Json.get(rs, "status"),
        rs.getLong("generation"),
        rs.getTimestamp("first_seen").toInstant(),
        rs.getTimestamp("updated_at").toInstant(),
        deleted == null ? null : deleted.toInstant());
  }
}
