package fr.acecinema.switchboard.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;

/** JSONB columns as Jackson trees; statements cast the text parameter with {@code ?::jsonb}. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static void set(PreparedStatement ps, int index, JsonNode node) throws SQLException {
    if (node == null || node.isMissingNode()) {
      ps.setNull(index, Types.VARCHAR);
    } else {
      ps.setString(index, node.toString());
    }
  }

  static JsonNode get(ResultSet rs, String column) throws SQLException {
    String text = rs.getString(column);
    if (text == null) {
      return null;
    }
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      // PostgreSQL only returns valid JSON from a jsonb column.
      throw new UncheckedIOException("unreadable jsonb in column " + column, e);
    }
  }
}
