package fr.acecinema.switchboard.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * The demo's stand-ins for containers on two sites: tiny HTTP servers on loopback addresses that
 * answer {@code /health} and say who they are on every other path.
 */
final class DemoBackends implements AutoCloseable {
  private final Map<String, HttpServer> running = new ConcurrentHashMap<>();

  /** Starts (or restarts) the backend {@code name} on address:port. */
  void start(String name, String address, int port) throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(address, port), 64);
    } catch (BindException e) {
      throw new IOException(
          address + ":" + port + " is taken; stop whatever listens there and run the demo again",
          e);
    }
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/health", ex -> respond(ex, "ok\n"));
    server.createContext("/", ex -> respond(ex, "hello from " + name + "\n"));
    server.start();
    running.put(name, server);
  }

  void stop(String name) {
    HttpServer server = running.remove(name);
    if (server != null) {
      server.stop(0);
    }
  }

  private static void respond(HttpExchange ex, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    running.keySet().forEach(this::stop);
  }
}
