package fr.acecinema.switchboard.testbed;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real Caddy ({@code /usr/bin/caddy run}) with its own admin address and a private data dir,
 * never the system's {@code :2019}/{@code :80}. Stopped and cleaned up by {@link #close()} and, if
 * a test dies, by a JVM shutdown hook.
 */
public final class CaddyProcess implements AutoCloseable {
  private final Process process;
  private final Path dir;
  private final String adminUrl;
  private final Thread hook;

  private CaddyProcess(Process process, Path dir, String adminUrl) {
    this.process = process;
    this.dir = dir;
    this.adminUrl = adminUrl;
    this.hook = new Thread(this::stop, "caddy-process-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Caddy on loopback: admin on 127.0.0.1:&lt;free port&gt;, plus {@code apps} if given. */
  public static CaddyProcess startOnLoopback(ObjectNode apps) {
    return start(List.of(), "127.0.0.1:" + freePort(), apps);
  }

  /**
   * Starts Caddy, optionally through a command prefix (e.g. {@code ip netns exec sbhub}), and waits
   * until its admin API answers.
   *
   * @param prefix command prefix, may be empty
   * @param adminListen host:port of the admin API, reachable from this JVM
   * @param apps initial {@code apps} object, may be null
   */
  public static CaddyProcess start(List<String> prefix, String adminListen, ObjectNode apps) {
    try {
      Path dir = Files.createTempDirectory("sb-caddy-");
      ObjectNode config = new ObjectMapper().createObjectNode();
      ObjectNode admin = config.putObject("admin");
      admin.put("listen", adminListen);
      admin.putObject("config").put("persist", false);
      if (apps != null) {
        config.set("apps", apps);
      }
      Path file = dir.resolve("caddy.json");
      Files.writeString(file, config.toString());
      List<String> cmd = new ArrayList<>(prefix);
      cmd.addAll(List.of("/usr/bin/caddy", "run", "--config", file.toString()));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.redirectOutput(dir.resolve("caddy.log").toFile());
      // Caddy keeps certificates and autosave under HOME/XDG dirs: keep them in our temp dir.
      pb.environment().put("HOME", dir.toString());
      pb.environment().put("XDG_DATA_HOME", dir.toString());
      pb.environment().put("XDG_CONFIG_HOME", dir.toString());
      CaddyProcess caddy = new CaddyProcess(pb.start(), dir, "http://" + adminListen);
      try {
        caddy.awaitAdmin();
      } catch (RuntimeException | Error e) {
        String log = caddy.log();
        caddy.close();
        throw new IllegalStateException("Caddy did not start; its log:\n" + log, e);
      }
      return caddy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitAdmin() {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException("caddy exited with " + process.exitValue());
              }
              HttpRequest req =
                  HttpRequest.newBuilder(URI.create(adminUrl + "/config/"))
                      .timeout(Duration.ofSeconds(1))
                      .build();
              return client.send(req, HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            });
  }

  /** e.g. {@code http://127.0.0.1:41234}. */
  public String adminUrl() {
    return adminUrl;
  }

  /** Caddy's combined output so far. */
  public String log() {
    try {
      return Files.readString(dir.resolve("caddy.log"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** A free TCP port on 127.0.0.1 (free when asked; good enough for tests). */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private synchronized void stop() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    if (Files.exists(dir)) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // best effort: a temp dir left behind is harmless
      }
    }
  }

  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }
}
