package fr.acecinema.switchboard.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Liveness and readiness over HTTP for supervisors (systemd, Docker health checks, load balancers):
 * {@code /healthz} answers 200 while the process can serve requests at all; {@code /readyz} answers
 * 200 once {@code ready} says so (the first full scan of the manifests is done) and 503 before.
 * Bodies are small JSON objects listing the process conditions ({@link Readiness}).
 */
public final class HealthServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HealthServer.class);

  /** A handful of threads is plenty for probes; the bound keeps a probe flood from growing it. */
  private static final int THREADS = 4;

  private final HttpServer server;
  private final ExecutorService executor;
  private final Supplier<Readiness> ready;

  private HealthServer(HttpServer server, ExecutorService executor, Supplier<Readiness> ready) {
    this.server = server;
    this.executor = executor;
    this.ready = ready;
  }

  /**
   * Binds {@code address} (port 0 picks a free port) and starts serving.
   *
   * @throws IOException when the address cannot be bound, e.g. already in use
   */
  public static HealthServer start(InetSocketAddress address, Supplier<Readiness> ready)
      throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new IOException(
          "cannot listen on "
              + address.getHostString()
              + ":"
              + address.getPort()
              + " for /healthz and /readyz ("
              + e.getMessage()
              + "); choose another address with --listen or SWITCHBOARD_LISTEN",
          e);
    }
    ExecutorService executor =
        Executors.newFixedThreadPool(THREADS, Thread.ofVirtual().name("health-", 0).factory());
    HealthServer health = new HealthServer(server, executor, ready);
    server.setExecutor(executor);
    server.createContext("/", health::handle);
    server.start();
    LOG.info(
        "health endpoints listening on http://{}:{}/healthz and /readyz",
        address.getHostString(),
        health.port());
    return health;
  }

  /** The bound port (useful when started on port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The bound address. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      if (!path.equals("/healthz") && !path.equals("/readyz")) {
        respond(exchange, 404, "{\"status\":\"not found\",\"paths\":[\"/healthz\",\"/readyz\"]}");
      } else if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        respond(exchange, 405, "{\"status\":\"method not allowed\"}");
      } else {
        Readiness r = readiness();
        if (path.equals("/healthz")) {
          respond(exchange, 200, r.healthzBody().toString());
        } else {
          respond(exchange, r.ready() ? 200 : 503, r.readyzBody().toString());
        }
      }
    }
  }

  private Readiness readiness() {
    try {
      return ready.get();
    } catch (RuntimeException e) {
      // A failing check means "not ready", never a crashed endpoint.
      LOG.warn("readiness check failed", e);
      return Readiness.failed(e);
    }
  }

  private static void respond(HttpExchange exchange, int code, String json) throws IOException {
    byte[] body = (json + "\n").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(code, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Stops accepting, lets exchanges in progress finish for up to a second, frees the port. */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
  }
}
