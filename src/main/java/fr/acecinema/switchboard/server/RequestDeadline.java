package fr.acecinema.switchboard.server;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection that sent bytes during a whole period without completing a request: a
 * slow-loris client trickling headers (or a body) byte by byte; and one that has not sent a first
 * request's headers a period after it opened, silent or not. Idle connections between requests
 * (keep-alive, watch streams) are not touched; the idle timeout handles those.
 *
 * <p>Owns only this per-connection deadline; {@link ApiServer} adds it as a bean of its connector
 * so Jetty calls {@link #onOpened} for every connection.
 */
final class RequestDeadline implements Connection.Listener {
  // ApiServer's logger: its name is printed on every line (%logger in logback.xml), so the log
  // output stays what it was before this class was split out of ApiServer.
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

  private final Scheduler scheduler;
  private final Duration period;

  RequestDeadline(Scheduler scheduler, Duration period) {
    this.scheduler = scheduler;
    this.period = period;
  }

  @Override
  public void onOpened(Connection connection) {
    if (connection instanceof SslConnection) {
      return; // The HTTP connection inside it gets its own deadline.
    }
    tick(connection, connection.getMessagesIn(), connection.getBytesIn(), true);
  }

  /**
   * One check per period, rescheduled until the connection closes: counting completed requests
   * (messages) rather than bytes is what tells a slow sender from a busy one.
   */
  private void tick(Connection c, long messages, long bytes, boolean first) {
    if (!c.getEndPoint().isOpen()) {
      return;
    }
    long nowMessages = c.getMessagesIn();
    long nowBytes = c.getBytesIn();
    // A connection that has not started its first request after one period is closed even when
    // silent: sockets opened and left idle would otherwise hold connection slots for the whole
    // idle timeout. Later, only one that sends without completing a request is (slow-loris).
    boolean neverAsked = nowMessages == 0;
    boolean stuck = nowMessages == messages && (neverAsked || nowBytes != bytes);
    if (!first && stuck) {
      LOG.info(
          "closing a connection from {} that sent {} bytes in {} without completing a request",
          c.getEndPoint().getRemoteSocketAddress(),
          nowBytes - bytes,
          period);
      c.getEndPoint().close();
      return;
    }
    scheduler.schedule(
        () -> tick(c, nowMessages, nowBytes, false), period.toMillis(), TimeUnit.MILLISECONDS);
  }
}
