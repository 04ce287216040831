package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.fleet.ApiObjects;
import fr.acecinema.switchboard.operator.Readiness;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's one HTTP endpoint on {@code --listen}: {@code /healthz} and {@code /readyz}
 * (unauthenticated, for supervisors; bodies list the process conditions, see {@link Readiness}),
 * {@code /metrics} (Prometheus text, read scope) and the resource API under {@code
 * /apis/switchboard.acecinema.fr/v1alpha1/} (bearer tokens).
 *
 * <p>Defences: request headers are parsed without holding a thread, a connection that keeps sending
 * bytes for a whole {@link Settings#requestTimeout()} without completing a request is closed
 * (slow-loris), idle connections close after {@link Settings#idleTimeout()}, headers are capped at
 * 16 KiB and bodies at {@link Settings#maxBodyBytes()} (413), connections at {@link
 * #MAX_CONNECTIONS}. The server refuses to listen on a non-loopback address without TLS unless
 * {@link Settings#insecureListen()} says so.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

  /** Open connections at most; more wait in the accept queue. */
  public static final int MAX_CONNECTIONS = 256;

  /** How often an idle watch stream gets a BOOKMARK event, so dead clients are noticed. */
  static final Duration WATCH_HEARTBEAT = Duration.ofSeconds(15);

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
   */
  public record Api(
      TokenStore tokens, ResourceApi resources, WatchHub watches, Supplier<String> metrics) {}

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
    HttpConfiguration http = new HttpConfiguration();
    http.setRequestHeaderSize(16 * 1024);
    http.setSendServerVersion(false);
    http.setSendDateHeader(false);
    ServerConnector connector;
    if (settings.tls()) {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
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
    connector.setHost(address.getHostString());
    connector.setPort(address.getPort());
    connector.setIdleTimeout(settings.idleTimeout().toMillis());
    connector.addBean(new RequestDeadline(connector.getScheduler(), settings.requestTimeout()));
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, connector));
    server.setHandler(new Routes(settings, ready, api));
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
        "API listening on {}://{}:{} (/apis/{}, /metrics, /healthz, /readyz)",
        settings.tls() ? "https" : "http",
        address.getHostString(),
        started.port(),
        ApiObjects.API_VERSION);
    return started;
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

  /**
   * Closes a connection that sent bytes during a whole period without completing a request: a
   * slow-loris client trickling headers (or a body) byte by byte. Idle connections (keep-alive,
   * watch streams) are not touched; the idle timeout handles those.
   */
  private static final class RequestDeadline implements Connection.Listener {
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

    private void tick(Connection c, long messages, long bytes, boolean first) {
      if (!c.getEndPoint().isOpen()) {
        return;
      }
      long nowMessages = c.getMessagesIn();
      long nowBytes = c.getBytesIn();
      // First period: the connection must complete its first request (or stay silent).
      boolean stuck = nowMessages == messages && (first ? nowBytes > 0 : nowBytes != bytes);
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

  /** Dispatch, authentication, limits. */
  private static final class Routes extends Handler.Abstract {
    private final Settings settings;
    private final Supplier<Readiness> ready;
    private final Optional<Api> api;

    Routes(Settings settings, Supplier<Readiness> ready, Optional<Api> api) {
      this.settings = settings;
      this.ready = ready;
      this.api = api;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      try {
        route(request, response, callback);
      } catch (Exception e) {
        LOG.warn(
            "{} {} failed: {}", request.getMethod(), request.getHttpURI().getPath(), e.toString());
        if (!response.isCommitted()) {
          send(
              response,
              callback,
              500,
              ApiObjects.failure(500, "InternalError", "internal error: " + e.getMessage(), null));
        } else {
          callback.failed(e);
        }
      }
      return true;
    }

    private void route(Request request, Response response, Callback callback) throws Exception {
      String method = request.getMethod();
      String path = request.getHttpURI().getPath();
      if (path.equals("/healthz") || path.equals("/readyz")) {
        if (!method.equals("GET") && !method.equals("HEAD")) {
          response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
          send(response, callback, 405, status("method not allowed"));
        } else {
          Readiness r = readiness();
          if (path.equals("/healthz")) {
            send(response, callback, 200, r.healthzBody());
          } else {
            send(response, callback, r.ready() ? 200 : 503, r.readyzBody());
          }
        }
        return;
      }
      if (!path.equals("/metrics") && !path.equals("/apis") && !path.startsWith("/apis/")) {
        send(
            response,
            callback,
            404,
            ApiObjects.failure(
                404,
                "NotFound",
                "no such path; see /healthz, /readyz, /metrics, " + ApiObjects.PREFIX,
                null));
        return;
      }
      if (api.isEmpty()) {
        send(
            response,
            callback,
            404,
            ApiObjects.failure(404, "NotFound", "this process serves no API", null));
        return;
      }
      Api a = api.get();
      if (path.equals("/metrics")) {
        if (authorize(request, response, callback, a, Scope.read).isPresent()) {
          byte[] text = a.metrics().get().getBytes(StandardCharsets.UTF_8);
          response.setStatus(200);
          response
              .getHeaders()
              .put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
          response.write(true, java.nio.ByteBuffer.wrap(text), callback);
        }
        return;
      }
      resources(request, response, callback, a, method, path);
    }

    private void resources(
        Request request, Response response, Callback callback, Api a, String method, String path)
        throws Exception {
      String lower = path.toLowerCase(Locale.ROOT);
      // Names are DNS labels, so a legitimate path never holds dot segments or escapes: refuse
      // them outright rather than trust any decoding or normalization along the way.
      if (lower.contains("%")
          || path.contains("\\")
          || path.contains("/./")
          || path.contains("/../")
          || path.endsWith("/..")
          || path.endsWith("/.")) {
        send(
            response,
            callback,
            400,
            ApiObjects.failure(
                400,
                "BadRequest",
                "path: dot segments and percent-encoded characters are not allowed; names are"
                    + " lower-case letters, digits and '-'",
                null));
        return;
      }
      boolean read = method.equals("GET") || method.equals("HEAD");
      Scope needed = read ? Scope.read : method.equals("DELETE") ? Scope.admin : Scope.write;
      Optional<TokenStore.Token> token = authorize(request, response, callback, a, needed);
      if (token.isEmpty()) {
        return;
      }
      String rest = path.equals("/apis") ? "" : path.substring("/apis/".length());
      if (rest.isEmpty()
          || rest.equals(ApiObjects.GROUP)
          || rest.equals(ApiObjects.API_VERSION)
          || rest.equals(ApiObjects.API_VERSION + "/")) {
        send(response, callback, 200, discovery());
        return;
      }
      if (!rest.startsWith(ApiObjects.API_VERSION + "/")) {
        send(
            response,
            callback,
            404,
            ApiObjects.failure(
                404, "NotFound", "unknown API group or version; use " + ApiObjects.PREFIX, null));
        return;
      }
      String[] parts = rest.substring(ApiObjects.API_VERSION.length() + 1).split("/", -1);
      String kind = ApiObjects.KINDS.get(parts[0]);
      if (kind == null || parts.length > 2) {
        send(
            response,
            callback,
            404,
            ApiObjects.failure(
                404,
                "NotFound",
                "unknown resource '" + parts[0] + "'; use sites, services or backends",
                null));
        return;
      }
      String name = parts.length == 2 ? parts[1] : null;
      if (name != null && !ResourceApi.validName(name)) {
        send(
            response,
            callback,
            400,
            ApiObjects.failure(
                400,
                "BadRequest",
                "name '"
                    + name
                    + "' is not valid; use lower-case letters, digits and '-', at most 63"
                    + " characters",
                null));
        return;
      }
      Fields query = Request.extractQueryParameters(request);
      ResourceApi resources = a.resources();
      ResourceApi.Reply reply;
      switch (method) {
        case "GET", "HEAD" -> {
          if ("true".equals(query.getValue("watch"))) {
            watch(request, response, callback, a.watches(), kind, name, query);
            return;
          }
          reply = name == null ? resources.list(kind) : resources.get(kind, name);
        }
        case "PUT", "POST" -> {
          if ((method.equals("PUT")) != (name != null)) {
            send(
                response,
                callback,
                405,
                ApiObjects.failure(
                    405,
                    "MethodNotAllowed",
                    "PUT a named resource (…/" + parts[0] + "/NAME) or POST to the collection",
                    null));
            return;
          }
          Optional<byte[]> body = body(request, response, callback);
          if (body.isEmpty()) {
            return;
          }
          String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
          boolean json = type != null && type.toLowerCase(Locale.ROOT).contains("json");
          boolean dryRun = query.getValue("dryRun") != null;
          reply = resources.apply(kind, name, body.get(), json, dryRun);
          if (!dryRun && reply.code() < 300) {
            LOG.atInfo()
                .addKeyValue("token", token.get().name())
                .addKeyValue("change", reply.headers().get(ResourceApi.CHANGE_HEADER))
                .log(
                    "{}/{} applied through the API",
                    kind,
                    reply.body().at("/metadata/name").asText());
          }
        }
        case "DELETE" -> {
          if (name == null) {
            send(
                response,
                callback,
                405,
                ApiObjects.failure(
                    405, "MethodNotAllowed", "DELETE one resource: …/" + parts[0] + "/NAME", null));
            return;
          }
          reply = resources.delete(kind, name, query.getValue("resourceVersion"));
          if (reply.code() == 200) {
            LOG.atInfo()
                .addKeyValue("token", token.get().name())
                .log("{}/{} deleted through the API", kind, name);
          }
        }
        default -> {
          response.getHeaders().put(HttpHeader.ALLOW, "GET, PUT, POST, DELETE");
          send(
              response,
              callback,
              405,
              ApiObjects.failure(405, "MethodNotAllowed", method + " is not supported", null));
          return;
        }
      }
      reply.headers().forEach((k, v) -> response.getHeaders().put(k, v));
      send(response, callback, reply.code(), reply.body());
    }

    private void watch(
        Request request,
        Response response,
        Callback callback,
        WatchHub hub,
        String kind,
        String name,
        Fields query)
        throws Exception {
      Optional<WatchHub.Watch> opened = hub.open(kind, name);
      if (opened.isEmpty()) {
        send(
            response,
            callback,
            429,
            ApiObjects.failure(
                429,
                "TooManyRequests",
                WatchHub.MAX_WATCHERS + " watches are open; close one or poll instead",
                null));
        return;
      }
      long timeoutSeconds = 1800;
      String t = query.getValue("timeoutSeconds");
      if (t != null && t.matches("[0-9]{1,6}")) {
        timeoutSeconds = Math.max(1, Long.parseLong(t));
      }
      // The stream is idle between events: only heartbeats keep it, not the idle timeout.
      request
          .getConnectionMetaData()
          .getConnection()
          .getEndPoint()
          .setIdleTimeout(WATCH_HEARTBEAT.multipliedBy(3).toMillis());
      response.setStatus(200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-ndjson");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      try (WatchHub.Watch w = opened.get();
          OutputStream out = Content.Sink.asOutputStream(response)) {
        out.flush();
        while (System.nanoTime() < end && isRunning()) {
          JsonNode event = w.next(WATCH_HEARTBEAT);
          out.write(ApiObjects.bytes(event == null ? hub.bookmark(kind) : event));
          out.flush();
          if (event != null && "ERROR".equals(event.path("type").asText())) {
            break;
          }
        }
        callback.succeeded();
      } catch (IOException e) {
        // The client went away; nothing to answer.
        callback.failed(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        callback.failed(e);
      }
    }

    private Optional<byte[]> body(Request request, Response response, Callback callback)
        throws IOException {
      long declared = request.getLength();
      long max = settings.maxBodyBytes();
      if (declared > max) {
        tooLarge(response, callback, declared);
        return Optional.empty();
      }
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      byte[] chunk = new byte[16 * 1024];
      try (InputStream in = Content.Source.asInputStream(request)) {
        int n;
        while ((n = in.read(chunk)) > 0) {
          buffer.write(chunk, 0, n);
          if (buffer.size() > max) {
            tooLarge(response, callback, -1);
            return Optional.empty();
          }
        }
      }
      return Optional.of(buffer.toByteArray());
    }

    private void tooLarge(Response response, Callback callback, long declared) {
      response.getHeaders().put(HttpHeader.CONNECTION, "close");
      send(
          response,
          callback,
          413,
          ApiObjects.failure(
              413,
              "RequestEntityTooLarge",
              "request body"
                  + (declared > 0 ? " of " + declared + " bytes" : "")
                  + " is larger than "
                  + settings.maxBodyBytes()
                  + " bytes; send one resource per request",
              null));
    }

    /**
     * The token of the request if it may do {@code needed}; otherwise answers 401 or 403 and
     * returns empty. The token itself is never logged, only its name.
     */
    private Optional<TokenStore.Token> authorize(
        Request request, Response response, Callback callback, Api a, Scope needed) {
      String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
      if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"switchboard\"");
        send(
            response,
            callback,
            401,
            ApiObjects.failure(
                401,
                "Unauthorized",
                "missing bearer token; send 'Authorization: Bearer TOKEN' (create one with sbctl"
                    + " token create)",
                null));
        return Optional.empty();
      }
      Optional<TokenStore.Token> token = a.tokens().authenticate(header.substring(7).trim());
      if (token.isEmpty()) {
        LOG.info(
            "rejected an unknown or revoked bearer token from {}", Request.getRemoteAddr(request));
        response
            .getHeaders()
            .put(
                HttpHeader.WWW_AUTHENTICATE,
                "Bearer realm=\"switchboard\", error=\"invalid_token\"");
        send(
            response,
            callback,
            401,
            ApiObjects.failure(
                401, "Unauthorized", "invalid bearer token (unknown or revoked)", null));
        return Optional.empty();
      }
      if (!token.get().scope().covers(needed)) {
        send(
            response,
            callback,
            403,
            ApiObjects.failure(
                403,
                "Forbidden",
                "token '"
                    + token.get().name()
                    + "' has scope "
                    + token.get().scope()
                    + "; "
                    + request.getMethod()
                    + " needs "
                    + needed,
                null));
        return Optional.empty();
      }
      return token;
    }

    private Readiness readiness() {
      try {
        return ready.get();
      } catch (RuntimeException e) {
        LOG.warn("readiness check failed", e);
        return Readiness.failed(e);
      }
    }

    private static ObjectNode status(String text) {
      ObjectNode o = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
      o.put("status", text);
      return o;
    }

    private static ObjectNode discovery() {
      ObjectNode o = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
      o.put("kind", "APIResourceList");
      o.put("groupVersion", ApiObjects.API_VERSION);
      var list = o.putArray("resources");
      for (Map.Entry<String, String> e : new java.util.TreeMap<>(ApiObjects.KINDS).entrySet()) {
        list.addObject()
            .put("name", e.getKey())
            .put("kind", e.getValue())
            .set(
                "verbs",
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                    .arrayNode()
                    .addAll(
                        List.of("get", "list", "watch", "create", "update", "delete").stream()
                            .map(com.fasterxml.jackson.databind.node.TextNode::new)
                            .toList()));
      }
      return o;
    }

    private static void send(Response response, Callback callback, int code, JsonNode body) {
      response.setStatus(code);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      Content.Sink.write(response, true, body.toString() + "\n", callback);
    }
  }
}
