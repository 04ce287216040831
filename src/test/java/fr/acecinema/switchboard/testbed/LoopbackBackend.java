package fr.acecinema.switchboard.testbed;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real HTTP backend on 127.0.0.1: {@code /health} answers 200 "ok", any other path answers its
 * name and the path, so a test sees which backend served.
 */
public final class LoopbackBackend implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;
  private final String name;

  private LoopbackBackend(HttpServer server, ExecutorService executor, String name) {
    this.server = server;
    this.executor = executor;
    this.name = name;
  }

  public static LoopbackBackend start(String name) {
    return start(name, 0);
  }

  /** As {@link #start(String)} on {@code port} (0: any free port), e.g. to revive a backend. */
  public static LoopbackBackend start(String name, int port) {
    try {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
      server.createContext(
          "/",
          exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] body =
                ("/health".equals(path) ? "ok\n" : name + " " + path + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("X-Backend", name);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
          });
      ExecutorService executor = Executors.newFixedThreadPool(8);
      server.setExecutor(executor);
      server.start();
      return new LoopbackBackend(server, executor, name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String name() {
    return name;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
