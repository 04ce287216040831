package fr.acecinema.switchboard.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.postgres.ResourceTable.Notification;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LISTENs on {@value #CHANNEL} on its own connection (a pooled one would lose the LISTEN when
 * returned) and hands notifications to a consumer; reconnects with backoff when the connection
 * drops. Close it to stop.
 */
public final class ResourceListener implements AutoCloseable {
  /** Channel the resources trigger notifies. */
  public static final String CHANNEL = "switchboard_resources";

  private static final Logger log = LoggerFactory.getLogger(ResourceListener.class);
  private static final int POLL_MS = 500;

  /** Without traffic, a query now and then finds a silently dead connection. */
  private static final long PING_EVERY_MS = 15_000;

  private static final long MAX_BACKOFF_MS = 5_000;

  private final JdbcTarget target;
  private final Consumer<Notification> consumer;
  private final Thread thread;
  private final Object sleeper = new Object();
  private volatile boolean closed;
  private volatile boolean connected;
  private volatile Connection connection;

  private ResourceListener(JdbcTarget target, Consumer<Notification> consumer) {
    this.target = target;
    this.consumer = consumer;
    this.thread = new Thread(this::run, "switchboard-resources-listener");
    this.thread.setDaemon(true);
  }

  static ResourceListener start(JdbcTarget target, Consumer<Notification> consumer) {
    ResourceListener l = new ResourceListener(target, consumer);
    l.thread.start();
    return l;
  }

  /** Whether LISTEN is currently in effect. */
  public boolean isConnected() {
    return connected;
  }

  @Override
  public void close() {
    closed = true;
    synchronized (sleeper) {
      sleeper.notifyAll();
    }
    Connection c = connection;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // Closing only unblocks the listener thread; it is going away anyway.
      }
    }
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    long backoff = 200;
    while (!closed) {
      try (Connection c = connect()) {
        connection = c;
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + CHANNEL);
        }
        connected = true;
        backoff = 200;
        log.info("listening for resource changes on {}", CHANNEL);
        deliver(Notification.resync());
        pump(c);
      } catch (SQLException e) {
        if (!closed) {
          log.warn(
              "resource listener disconnected ({}); retrying in {} ms", e.getMessage(), backoff);
        }
      } finally {
        connected = false;
        connection = null;
      }
      pause(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  private void pump(Connection c) throws SQLException {
    PGConnection pg = c.unwrap(PGConnection.class);
    long lastTraffic = System.currentTimeMillis();
    while (!closed) {
      PGNotification[] batch = pg.getNotifications(POLL_MS);
      long now = System.currentTimeMillis();
      if (batch != null && batch.length > 0) {
        lastTraffic = now;
        for (PGNotification n : batch) {
          Notification parsed = parse(n.getParameter());
          if (parsed != null) {
            deliver(parsed);
          }
        }
      } else if (now - lastTraffic > PING_EVERY_MS) {
        try (Statement s = c.createStatement()) {
          s.execute("SELECT 1");
        }
        lastTraffic = now;
      }
    }
  }

  private void deliver(Notification n) {
    try {
      consumer.accept(n);
    } catch (RuntimeException e) {
      // A failing consumer must not stop the stream for the next notifications.
      log.error("resource notification consumer failed on {}", n, e);
    }
  }

  static Notification parse(String payload) {
    try {
      JsonNode j = Json.MAPPER.readTree(payload);
      return new Notification(
          Notification.Op.valueOf(j.path("op").asText()),
          j.path("kind").asText(),
          j.path("name").asText(),
          j.path("generation").asLong());
    } catch (Exception e) {
      log.warn("ignoring unreadable notification payload {}", payload);
      return null;
    }
  }

  private Connection connect() throws SQLException {
    // No socket timeout: a LISTEN connection waits for notifications as long as there are none.
    return target.connect("switchboard-listener", 0);
  }

  private void pause(long ms) {
    synchronized (sleeper) {
      if (closed) {
        return;
      }
      try {
        sleeper.wait(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        closed = true;
      }
    }
  }
}
