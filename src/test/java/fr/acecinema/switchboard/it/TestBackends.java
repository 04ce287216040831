package fr.acecinema.switchboard.it;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Real HTTP backends on loopback addresses for tests: {@code /health} answers with a status the
 * test controls, every other path answers with the backend's name.
 */
public final class TestBackends implements AutoCloseable {
  /** One backend. */
  public static final class Backend {
    public final String name;
    public final String address;
    public final int port;
    private final HttpServer server;
    public final AtomicInteger healthStatus = new AtomicInteger(200);
    public final AtomicLong requests = new AtomicLong();

    Backend(String name, String address, int port) throws IOException {
      this.name = name;
      this.address = address;
      this.server = HttpServer.create(new InetSocketAddress(address, port), 64);
      this.port = server.getAddress().getPort();
      server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
      server.createContext(
          "/health", ex -> respond(ex, healthStatus.get(), "health of " + name + "\n"));
      server.createContext(
          "/",
          ex -> {
            requests.incrementAndGet();
            respond(ex, 200, name + "\n");
          });
      server.start();
    }

    private static void respond(com.sun.net.httpserver.HttpExchange ex, int code, String body)
        throws IOException {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(code, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }

    public void stop() {
      server.stop(0);
    }
  }

  private final List<Backend> started = new ArrayList<>();

  /** Starts a backend on {@code address} (127.x) and a free port (0) or the given one. */
  public Backend start(String name, String address, int port) throws IOException {
    Backend b = new Backend(name, address, port);
    started.add(b);
    return b;
  }

  @Override
  public void close() {
    started.forEach(Backend::stop);
  }
}
