package fr.acecinema.switchboard.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * A backup of Switchboard's records as one zip file, written and read through the database
 * connection (PostgreSQL's COPY), so it works the same for the embedded server, which ships no
 * {@code pg_dump}, and for an external one of any version: {@code backup.json} (format, schema
 * version, the columns of every table) and one COPY text file per table, all taken from one
 * snapshot.
 *
 * <p>A restore migrates the target to this build's schema, then, in one transaction, empties every
 * table and loads the backup's rows into the columns the backup names (a backup of an older schema
 * loads into a newer one; columns added since take their defaults) and moves each id sequence past
 * the restored ids. A backup of a newer schema than this build is refused.
 */
public final class RecordsArchive {
  /** The {@code format} of {@code backup.json}. */
  public static final String FORMAT = "switchboard-records-backup";

  private static final int FORMAT_VERSION = 1;
  private static final String HEADER = "backup.json";
  private static final String FLYWAY_TABLE = "flyway_schema_history";

  /**
   * Tables of the running hubs' coordination, not records (who leads, what each hub sees now): not
   * backed up, and left alone by a restore; a restored database starts without a leader and the
   * hubs write their views again within a second.
   */
  public static final java.util.Set<String> COORDINATION =
      java.util.Set.of("leases", "hubs", "hub_views");

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What a backup holds: when, from which schema and build, rows per table. */
  public record Summary(
      String schemaVersion, String switchboardVersion, Instant createdAt, Map<String, Long> rows) {
    public long totalRows() {
      return rows.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private final Database db;

  public RecordsArchive(Database db) {
    this.db = db;
  }

  /** Writes every table of the records to {@code out} (a zip), from one consistent snapshot. */
  public Summary backup(OutputStream out, String switchboardVersion) {
    return db.withConnection(
        "backing up the records",
        c -> {
          c.setAutoCommit(false);
          c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
          c.setReadOnly(true);
          try {
            return write(c, out, switchboardVersion);
          } finally {
            c.rollback();
            c.setReadOnly(false);
            c.setAutoCommit(true);
          }
        });
  }

  private Summary write(Connection c, OutputStream out, String switchboardVersion)
      throws SQLException {
    CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
    Map<String, Long> rows = new LinkedHashMap<>();
    ObjectNode header = JSON.createObjectNode();
    header.put("format", FORMAT);
    header.put("formatVersion", FORMAT_VERSION);
    String schema = schemaVersion(c);
    header.put("schemaVersion", schema);
    header.put("switchboardVersion", switchboardVersion);
    Instant now = Instant.now();
    header.put("createdAt", now.toString());
    ObjectNode tables = header.putObject("tables");
    try {
      ZipOutputStream zip = new ZipOutputStream(out);
      for (String table : tables(c)) {
        List<String> columns = columns(c, table);
        zip.putNextEntry(new ZipEntry("tables/" + table + ".copy"));
        long n =
            copy.copyOut(
                "COPY "
                    + table
                    + " ("
                    + String.join(", ", columns.stream().map(RecordsArchive::ident).toList())
                    + ") TO STDOUT",
                zip);
        zip.closeEntry();
        rows.put(table, n);
        ObjectNode t = tables.putObject(table);
        t.put("rows", n);
        columns.forEach(t.putArray("columns")::add);
      }
      zip.putNextEntry(new ZipEntry(HEADER));
      zip.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(header));
      zip.closeEntry();
      zip.finish();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("writing the backup: " + e.getMessage(), e);
    }
    return new Summary(schema, switchboardVersion, now, rows);
  }

  /** Rows of the records' tables now, by table: what a restore without --replace would erase. */
  public Map<String, Long> rowCounts() {
    return db.withConnection(
        "counting the records",
        c -> {
          Map<String, Long> counts = new LinkedHashMap<>();
          for (String table : tables(c)) {
            try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT count(*) FROM " + table)) {
              r.next();
              counts.put(table, r.getLong(1));
            }
          }
          return counts;
        });
  }

  /**
   * Replaces every table's rows by the backup's, in one transaction.
   *
   * @throws IllegalArgumentException when {@code in} is not a Switchboard backup, or comes from a
   *     newer schema than this build's, or names a table this schema does not have
   */
  public Summary restore(Path file) {
    try (ZipFile zip = open(file)) {
      return restore(zip, header(zip));
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + file + ": " + e.getMessage(), e);
    }
  }

  private Summary restore(ZipFile zip, JsonNode header) {
    String schema = header.path("schemaVersion").asText();
    return db.inTransaction(
        "restoring the records",
        c -> {
          String current = schemaVersion(c);
          if (compareVersions(schema, current) > 0) {
            throw new IllegalArgumentException(
                "the backup is of schema version "
                    + schema
                    + ", newer than this build's "
                    + current
                    + "; restore it with the Switchboard version that wrote it ("
                    + header.path("switchboardVersion").asText("unknown")
                    + ") or a newer one");
          }
          List<String> tables = tables(c);
          for (var it = header.path("tables").fieldNames(); it.hasNext(); ) {
            String table = it.next();
            if (!tables.contains(table)) {
              throw new IllegalArgumentException(
                  "the backup holds table '"
                      + table
                      + "' that this schema does not have; restore it with the Switchboard"
                      + " version that wrote it");
            }
          }
          try (Statement s = c.createStatement()) {
            s.execute("TRUNCATE " + String.join(", ", tables) + " RESTART IDENTITY");
          }
          CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
          Map<String, Long> rows = new LinkedHashMap<>();
          for (var it = header.path("tables").fields(); it.hasNext(); ) {
            var table = it.next();
            List<String> columns = new ArrayList<>();
            table.getValue().path("columns").forEach(col -> columns.add(col.asText()));
            ZipEntry data = zip.getEntry("tables/" + table.getKey() + ".copy");
            if (data == null) {
              throw new IllegalArgumentException(
                  "the backup lacks the rows of table '" + table.getKey() + "' (truncated file?)");
            }
            try (InputStream in = zip.getInputStream(data)) {
              rows.put(
                  table.getKey(),
                  copy.copyIn(
                      "COPY "
                          + table.getKey()
                          + " ("
                          + String.join(", ", columns.stream().map(RecordsArchive::ident).toList())
                          + ") FROM STDIN",
                      in));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            resetSequences(c, table.getKey());
          }
          return new Summary(
              schema,
              header.path("switchboardVersion").asText(),
              Instant.parse(header.path("createdAt").asText()),
              rows);
        });
  }

  /** Reads the summary of a backup file without touching any database. */
  public static Summary describe(Path file) {
    try (ZipFile zip = open(file)) {
      JsonNode header = header(zip);
      Map<String, Long> rows = new LinkedHashMap<>();
      header
          .path("tables")
          .fields()
          .forEachRemaining(t -> rows.put(t.getKey(), t.getValue().path("rows").asLong()));
      return new Summary(
          header.path("schemaVersion").asText(),
          header.path("switchboardVersion").asText(),
          Instant.parse(header.path("createdAt").asText()),
          rows);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + file + ": " + e.getMessage(), e);
    }
  }

  private static ZipFile open(Path file) {
    try {
      return new ZipFile(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(
          file + " is not a Switchboard backup (not a zip file: " + e.getMessage() + ")", e);
    }
  }

  private static JsonNode header(ZipFile zip) throws IOException {
    ZipEntry entry = zip.getEntry(HEADER);
    JsonNode header = null;
    if (entry != null) {
      try (InputStream in = zip.getInputStream(entry)) {
        header = JSON.readTree(in);
      } catch (IOException e) {
        header = null;
      }
    }
    if (header == null || !FORMAT.equals(header.path("format").asText())) {
      throw new IllegalArgumentException(
          zip.getName()
              + " is not a Switchboard backup (no "
              + HEADER
              + " of format "
              + FORMAT
              + ")");
    }
    if (header.path("formatVersion").asInt() > FORMAT_VERSION) {
      throw new IllegalArgumentException(
          "the backup's format version "
              + header.path("formatVersion").asInt()
              + " is newer than this build reads ("
              + FORMAT_VERSION
              + "); use the Switchboard version that wrote it");
    }
    return header;
  }

  /** The highest applied migration, e.g. {@code "1"}; {@code "0"} on an empty database. */
  private static String schemaVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT version FROM " + FLYWAY_TABLE + " WHERE success")) {
      String max = "0";
      while (r.next()) {
        String v = r.getString(1);
        if (v != null && compareVersions(v, max) > 0) {
          max = v;
        }
      }
      return max;
    }
  }

  /**
   * The records' tables in the current schema (all but Flyway's and the hubs' {@link
   * #COORDINATION}), in a stable order.
   */
  private static List<String> tables(Connection c) throws SQLException {
    return Jdbc.query(
            c,
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
                + " current_schema() AND table_type = 'BASE TABLE' AND table_name <> ? ORDER BY"
                + " table_name",
            Jdbc.strings(FLYWAY_TABLE),
            r -> r.getString(1))
        .stream()
        .filter(t -> !COORDINATION.contains(t))
        .toList();
  }

  private static List<String> columns(Connection c, String table) throws SQLException {
    return Jdbc.query(
        c,
        "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            + " current_schema() AND table_name = ? ORDER BY ordinal_position",
        Jdbc.strings(table),
        r -> r.getString(1));
  }

  /** Moves every serial column's sequence past the restored values. */
  private static void resetSequences(Connection c, String table) throws SQLException {
    for (String column : columns(c, table)) {
      try (var ps = c.prepareStatement("SELECT pg_get_serial_sequence(?, ?)")) {
        ps.setString(1, table);
        ps.setString(2, column);
        try (ResultSet r = ps.executeQuery()) {
          String sequence = r.next() ? r.getString(1) : null;
          if (sequence == null) {
            continue;
          }
          try (Statement s = c.createStatement()) {
            s.execute(
                "SELECT setval('%s', coalesce(max(%s), 1), max(%s) IS NOT NULL) FROM %s"
                    .formatted(sequence, column, column, table));
          }
        }
      }
    }
  }

  /** A backup's column name as an SQL identifier (they come from a file: quote them). */
  private static String ident(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  /** Compares Flyway versions such as {@code 1}, {@code 1.2}, {@code 10}. */
  static int compareVersions(String a, String b) {
    if (!a.matches("\\d+(\\.\\d+)*") || !b.matches("\\d+(\\.\\d+)*")) {
      throw new IllegalArgumentException(
          "schema version '" + a + "' or '" + b + "' is not a version such as 1 or 1.2");
    }
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      long p = i < x.length ? Long.parseLong(x[i]) : 0;
      long q = i < y.length ? Long.parseLong(y[i]) : 0;
      if (p != q) {
        return Long.compare(p, q);
      }
    }
    return 0;
  }
}
