package fr.acecinema.switchboard.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * One statement's prepare, bind, execute and map steps, written once for the records and the
 * resources table.
 *
 * <p>Given a {@link Database}, a call takes a pooled connection of its own and names its work, so
 * that a failure is translated as every database call's is ({@link Database#withConnection}: a
 * {@link DatabaseUnavailableException} or a {@link DatabaseException} saying {@code what}). Given a
 * {@link Connection}, it runs on the caller's connection, inside the caller's transaction.
 */
final class Jdbc {
  private Jdbc() {}

  /** Sets a statement's parameters. */
  @FunctionalInterface
  interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  /** Maps the current row of a result set. */
  @FunctionalInterface
  interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  /** Binds {@code values} with {@code setString}, in order, to the parameters 1, 2, … */
  static Binder strings(String... values) {
    return ps -> {
      for (int i = 0; i < values.length; i++) {
        ps.setString(i + 1, values[i]);
      }
    };
  }

  /** Every row the query returns, mapped, in the order the database returns them. */
  static <T> List<T> query(
      Database db, String what, String sql, Binder binder, RowMapper<T> mapper) {
    return db.withConnection(what, c -> query(c, sql, binder, mapper));
  }

  /** The row of a statement that returns exactly one (RETURNING, a function call). */
  static <T> T one(Database db, String what, String sql, Binder binder, RowMapper<T> mapper) {
    return db.withConnection(what, c -> one(c, sql, binder, mapper));
  }

  /** Runs an INSERT, UPDATE or DELETE; returns how many rows it changed. */
  static int update(Database db, String what, String sql, Binder binder) {
    return db.withConnection(what, c -> update(c, sql, binder));
  }

  static <T> List<T> query(Connection c, String sql, Binder binder, RowMapper<T> mapper)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      List<T> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(mapper.map(rs));
        }
      }
      return out;
    }
  }

  static <T> T one(Connection c, String sql, Binder binder, RowMapper<T> mapper)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        // No row leaves the cursor before the first: reading it throws, and the caller's
        // Database call translates that like any other SQL failure.
        rs.next();
        return mapper.map(rs);
      }
    }
  }

  static int update(Connection c, String sql, Binder binder) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      return ps.executeUpdate();
    }
  }
}
