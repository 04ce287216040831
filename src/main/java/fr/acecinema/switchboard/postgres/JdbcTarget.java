package fr.acecinema.switchboard.postgres;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Where to connect: a JDBC URL plus credentials, parsed from what an operator puts in {@code
 * SWITCHBOARD_DATABASE_URL}. Both the libpq form {@code postgresql://user:pass@host:5432/db} (also
 * {@code postgres://}) and a plain {@code jdbc:postgresql://...} URL are accepted.
 *
 * @param jdbcUrl URL handed to the PostgreSQL JDBC driver, without credentials
 * @param user user name, or null to let the driver take it from the URL's parameters
 * @param password password, or null
 */
public record JdbcTarget(String jdbcUrl, String user, String password) {

  /** Parses an operator-supplied database URL; throws with the expected forms when unusable. */
  public static JdbcTarget parse(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("database URL is empty");
    }
    String u = url.strip();
    if (u.startsWith("jdbc:postgresql:")) {
      return new JdbcTarget(u, null, null);
    }
    if (!u.startsWith("postgresql://") && !u.startsWith("postgres://")) {
      throw new IllegalArgumentException(
          "database URL '"
              + redact(u)
              + "' is not a PostgreSQL URL; use postgresql://user:password@host:5432/dbname"
              + " or jdbc:postgresql://host:5432/dbname?user=...");
    }
    URI uri;
    try {
      uri = URI.create(u);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "database URL '" + redact(u) + "' is malformed: " + e.getMessage(), e);
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException(
          "database URL '" + redact(u) + "' has no host; use postgresql://user:password@host/db");
    }
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : null;
    }
    StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(uri.getHost());
    if (uri.getPort() > 0) {
      jdbc.append(':').append(uri.getPort());
    }
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    jdbc.append(path);
    if (uri.getRawQuery() != null) {
      jdbc.append('?').append(uri.getRawQuery());
    }
    return new JdbcTarget(jdbc.toString(), user, password);
  }

  /**
   * A connection of its own, outside the pool: for work that must not wait behind the pool's other
   * users (a LISTEN, a lease's renewal).
   *
   * @param applicationName what {@code pg_stat_activity} shows for it
   * @param socketTimeoutSeconds longest wait for an answer (0: none), so a half-open connection
   *     fails instead of blocking its thread
   */
  public java.sql.Connection connect(String applicationName, int socketTimeoutSeconds)
      throws java.sql.SQLException {
    java.util.Properties p = new java.util.Properties();
    if (user != null) {
      p.setProperty("user", user);
    }
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("connectTimeout", "2");
    p.setProperty("loginTimeout", "2");
    p.setProperty("tcpKeepAlive", "true");
    p.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
    p.setProperty("ApplicationName", applicationName);
    return java.sql.DriverManager.getConnection(jdbcUrl, p);
  }

  /** The URL with any password replaced, for error messages and logs. */
  static String redact(String url) {
    return url.replaceAll("(://[^:/@]+:)[^@]*@", "$1***@").replaceAll("(password=)[^&]*", "$1***");
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "JdbcTarget[" + redact(jdbcUrl) + ", user=" + user + "]";
  }
}
