package fr.acecinema.switchboard.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP backend on a loopback address for routing tests: {@code /health} answers the status
 * the test sets, {@code /slow/<ms>} answers its name after that many milliseconds (a request in
 * flight), any other path answers {@code <name> <path>}. It can be stopped and started again on the
 * same address and port.
 */
final class RoutedBackend implements AutoCloseable {
  final String name;
  final String address;
  final AtomicInteger healthStatus = new AtomicInteger(200);
  private final ScheduledExecutorService delays =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().factory());
  private int port;
  private HttpServer server;

  RoutedBackend(String name, String address) throws IOException {
    this.name = name;
    this.address = address;
    start();
  }

  synchronized void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(address, port), 128);
    port = server.getAddress().getPort();
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/health", ex -> respond(ex, healthStatus.get(), "health " + name));
    server.createContext(
        "/slow/",
        ex -> {
          long ms = Long.parseLong(ex.getRequestURI().getPath().substring("/slow/".length()));
          delays.schedule(() -> respond(ex, 200, name), ms, TimeUnit.MILLISECONDS);
        });
    server.createContext("/", ex -> respond(ex, 200, name + " " + ex.getRequestURI().getPath()));
    server.start();
  }

  int port() {
    return port;
  }

  /** Closes the listener and every connection: further connects are refused. */
  synchronized void stop() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
  }

  private void respond(HttpExchange ex, int code, String body) {
    try (ex) {
      byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("X-Backend", name);
      ex.sendResponseHeaders(code, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  @Override
  public void close() {
    stop();
    delays.shutdownNow();
  }
}
