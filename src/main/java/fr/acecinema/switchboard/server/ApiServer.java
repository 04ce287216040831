package fr.acecinema.switchboard.server;

import fr.acecinema.switchboard.agent.AgentRegistry;
import fr.acecinema.switchboard.fleet.ApiObjects;
import fr.acecinema.switchboard.operator.Readiness;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.reconciler.records.EventRecorder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's one HTTP endpoint on {@code --listen}: {@code /healthz} and {@code /readyz}
 * (unauthenticated, for supervisors; bodies list the process conditions, see {@link Readiness}),
 * {@code /metrics} (Prometheus text, read scope), the resource API under {@code
 * /apis/switchboard.acecinema.fr/v1alpha1/} and the records under {@code /records/v1alpha1/}
 * (bearer tokens).
 *
 * <p>Defences: request headers are parsed without holding a thread, a connection that keeps sending
 * bytes for a whole {@link Settings#requestTimeout()} without completing a request is closed
 * (slow-loris), and so is one that sends no first request within it (idle sockets opened to fill
 * the server); idle connections close after {@link Settings#idleTimeout()}, headers are capped at
 * 16 KiB and bodies at {@link Settings#maxBodyBytes()} (413), connections at {@link
 * #MAX_CONNECTIONS} and at {@link #MAX_CONNECTIONS_PER_CLIENT} per client address ({@link
 * ClientConnectionLimit}), request bodies being received at {@link ResourceRoutes#BODIES_PER_TOKEN}
 * per token (429 beyond). The server refuses to listen on a non-loopback address without TLS unless
 * {@link Settings#insecureListen()} says so.
 *
 * <p>This class owns the Jetty server only: threads, connector, TLS, timeouts and limits, start and
 * stop. What is answered lives in {@link ApiRoutes} (dispatch, health, metrics), {@link
 * ResourceRoutes} (the resource paths), {@link BearerAuthenticator} (tokens and scopes), {@link
 * RequestBodies} (the body cap), {@link WatchStream} (watch streams) and {@link JsonReplies}; the
 * slow-loris deadline in {@link RequestDeadline}.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

  /** Open connections at most; more wait in the accept queue. */
  public static final int MAX_CONNECTIONS = 256;

  /**
   * Open connections one client address may hold; beyond it a new connection is closed at once. A
   * quarter of {@link #MAX_CONNECTIONS}: one client, however many idle sockets it opens, leaves
   * three quarters to {@code /healthz} and the others.
   */
  public static final int MAX_CONNECTIONS_PER_CLIENT = 64;

  /**
   * How the endpoint is served.
   *
   * @param listen address to bind (port 0 picks one)
   * @param tlsCert PEM certificate chain, null for plain HTTP
   * @param tlsKey PEM PKCS#8 private key, null for plain HTTP
   * @param insecureListen allow plain HTTP on a non-loopback address
   * @param maxBodyBytes largest accepted request body
   * @param requestTimeout longest time a connection may take to send one request
   * @param idleTimeout idle connections are closed after this
   */
  public record Settings(
      InetSocketAddress listen,
      Path tlsCert,
      Path tlsKey,
      boolean insecureListen,
      long maxBodyBytes,
      Duration requestTimeout,
      Duration idleTimeout) {

    /** Plain HTTP, 1 MiB bodies, 10 s per request, 30 s idle. */
    public static Settings of(InetSocketAddress listen) {
      return new Settings(
          listen, null, null, false, 1024 * 1024, Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    public Settings withTls(Path cert, Path key) {
      return new Settings(
          listen, cert, key, insecureListen, maxBodyBytes, requestTimeout, idleTimeout);
    }

    public Settings withInsecureListen(boolean insecure) {
      return new Settings(
          listen, tlsCert, tlsKey, insecure, maxBodyBytes, requestTimeout, idleTimeout);
    }

    public Settings withTimeouts(Duration request, Duration idle) {
      return new Settings(listen, tlsCert, tlsKey, insecureListen, maxBodyBytes, request, idle);
    }

    public boolean tls() {
      return tlsCert != null;
    }
  }

  /**
   * What the API serves beyond health; absent when the process runs without a store.
   *
   * @param tokens bearer tokens
   * @param resources list/get/apply/delete
   * @param watches watch streams
   * @param metrics Prometheus text exposition of the process's registry
   * @param records the PostgreSQL records under {@code /records/v1alpha1/}; empty when the process
   *     keeps none; the supplier throws {@code DatabaseUnavailableException} while the database
   *     cannot be reached
   * @param audit where writes through the API are recorded as events (who changed what): the
   *     records journal under {@code sbctl run}, {@link EventRecorder#NONE} without records
   * @param agents where sites' agents report heartbeats; empty answers them 503
   */
  public record Api(
      TokenStore tokens,
      ResourceApi resources,
      WatchHub watches,
      Supplier<String> metrics,
      Optional<Supplier<RecordsRepository>> records,
      EventRecorder audit,
      Optional<AgentRegistry> agents) {

    /** An API that tracks no agents. */
    public Api(
        TokenStore tokens,
        ResourceApi resources,
        WatchHub watches,
        Supplier<String> metrics,
        Optional<Supplier<RecordsRepository>> records,
        EventRecorder audit) {
      this(tokens, resources, watches, metrics, records, audit, Optional.empty());
    }

    /** An API without records nor an audit trail of events (writes are still logged). */
    public Api(
        TokenStore tokens, ResourceApi resources, WatchHub watches, Supplier<String> metrics) {
      this(tokens, resources, watches, metrics, Optional.empty(), EventRecorder.NONE);
    }

    /** An API with records and no audit trail of events. */
    public Api(
        TokenStore tokens,
        ResourceApi resources,
        WatchHub watches,
        Supplier<String> metrics,
        Optional<Supplier<RecordsRepository>> records) {
      this(tokens, resources, watches, metrics, records, EventRecorder.NONE);
    }
  }

  private final Server server;
  private final ServerConnector connector;

  private ApiServer(Server server, ServerConnector connector) {
    this.server = server;
    this.connector = connector;
  }

  /**
   * Binds and starts serving.
   *
   * @throws IOException when the address cannot be bound, the certificate cannot be read, or a
   *     non-loopback address is asked for without TLS or {@code --insecure-listen}
   */
  public static ApiServer start(Settings settings, Supplier<Readiness> ready, Optional<Api> api)
      throws IOException {
    InetSocketAddress address = settings.listen();
    if (!settings.tls() && !settings.insecureListen() && !loopback(address)) {
      throw new IOException(
          "refusing to serve the API on "
              + address.getHostString()
              + " without TLS: tokens would cross the network in clear; give --tls-cert and"
              + " --tls-key, listen on 127.0.0.1 (e.g. behind WireGuard or a reverse proxy), or"
              + " pass --insecure-listen");
    }
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("api");
    Server server = new Server(threads);
    ServerConnector connector = connector(server, settings);
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, connector));
    server.setHandler(new ApiRoutes(settings, ready, api));
    try {
      server.start();
    } catch (Exception e) {
      try {
        server.stop();
      } catch (Exception ignored) {
        // Already failing; the bind error below is what matters.
      }
      throw new IOException(
          "cannot listen on "
              + address.getHostString()
              + ":"
              + address.getPort()
              + " ("
              + e.getMessage()
              + "); choose another address with --listen or SWITCHBOARD_LISTEN",
          e);
    }
    ApiServer started = new ApiServer(server, connector);
    LOG.info(
        "API listening on {}://{}:{} (/apis/{}, /records/v1alpha1, /metrics, /healthz, /readyz)",
        settings.tls() ? "https" : "http",
        address.getHostString(),
        started.port(),
        ApiObjects.API_VERSION);
    return started;
  }

  /**
   * One connector, plain or TLS, with the limits of the class Javadoc. A single acceptor and
   * selector suffice: the API serves operators and pipelines, not the public.
   */
  private static ServerConnector connector(Server server, Settings settings) throws IOException {
    HttpConfiguration http = new HttpConfiguration();
    http.setRequestHeaderSize(16 * 1024);
    // Nothing in a reply should tell a scanner which Jetty to attack.
    http.setSendServerVersion(false);
    http.setSendDateHeader(false);
    ServerConnector connector;
    if (settings.tls()) {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      // Clients often reach the API by IP (127.0.0.1 behind a tunnel), a name no certificate
      // holds; checking the certificate is the client's side of TLS.
      secure.setSniHostCheck(false);
      http.addCustomizer(secure);
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setKeyStore(Pem.keyStore(settings.tlsCert(), settings.tlsKey()));
      ssl.setKeyStorePassword(new String(Pem.PASSWORD));
      connector =
          new ServerConnector(
              server,
              1,
              1,
              new SslConnectionFactory(ssl, "http/1.1"),
              new HttpConnectionFactory(http));
    } else {
      connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    }
    InetSocketAddress address = settings.listen();
    connector.setHost(address.getHostString());
    connector.setPort(address.getPort());
    connector.setIdleTimeout(settings.idleTimeout().toMillis());
    connector.addBean(new RequestDeadline(connector.getScheduler(), settings.requestTimeout()));
    connector.addBean(new ClientConnectionLimit(MAX_CONNECTIONS_PER_CLIENT));
    return connector;
  }

  private static boolean loopback(InetSocketAddress address) {
    return address.getAddress() != null && address.getAddress().isLoopbackAddress();
  }

  /** The bound port (useful when started on port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** Stops accepting, ends watch streams, frees the port. */
  @Override
  public void close() {
    try {
      server.setStopTimeout(1000);
      server.stop();
    } catch (Exception e) {
      LOG.warn("stopping the API server failed: {}", e.toString());
    }
  }
}
