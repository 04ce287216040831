package fr.acecinema.switchboard.server;

import fr.acecinema.switchboard.util.LogThrottle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes, as soon as it is accepted, a connection from a client address that already has {@link
 * ApiServer#MAX_CONNECTIONS_PER_CLIENT} open: one client opening hundreds of idle sockets would
 * otherwise fill the server's {@link ApiServer#MAX_CONNECTIONS} and leave {@code /healthz}, {@code
 * /readyz} and every other client waiting in the accept queue until its sockets time out.
 *
 * <p>{@link ApiServer} adds it as a bean of its connector so Jetty calls it for every connection;
 * refusals are logged once per client and minute.
 */
final class ClientConnectionLimit implements Connection.Listener {
  // ApiServer's logger: its name is printed on every line (%logger in logback.xml).
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

  private final PerKeyLimit<InetAddress> perClient;
  // The address is kept: a closed socket no longer tells its peer.
  private final Map<Connection, InetAddress> counted = new ConcurrentHashMap<>();
  private final LogThrottle refusals = LogThrottle.perMinute();

  ClientConnectionLimit(int perClient) {
    this.perClient = new PerKeyLimit<>(perClient);
  }

  @Override
  public void onOpened(Connection connection) {
    if (connection instanceof SslConnection) {
      return; // The HTTP connection inside it is counted (the same socket).
    }
    InetAddress client = address(connection.getEndPoint().getRemoteSocketAddress());
    if (client == null) {
      return;
    }
    if (perClient.tryAcquire(client)) {
      counted.put(connection, client);
      return;
    }
    refusals.occurred(
        client,
        more ->
            LOG.warn(
                "refused a connection from {}: it already has {} open (at most {} per client){}",
                client.getHostAddress(),
                perClient.held(client),
                perClient.max(),
                LogThrottle.more(more)));
    connection.getEndPoint().close();
  }

  @Override
  public void onClosed(Connection connection) {
    InetAddress client = counted.remove(connection);
    if (client != null) {
      perClient.release(client);
    }
  }

  private static InetAddress address(SocketAddress remote) {
    return remote instanceof InetSocketAddress a ? a.getAddress() : null;
  }
}
