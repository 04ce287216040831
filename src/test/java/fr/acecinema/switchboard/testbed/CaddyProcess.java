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
    return start(prefix, adminListen, apps, false);
  }

  /**
   * As {@link #start(List, String, ObjectNode)}; with {@code debugLog} Caddy logs at DEBUG, so
   * {@link #log()} holds one {@code upstream roundtrip} line per attempt (upstream, request
   * headers, error): which requests went to which upstream, retries and hung attempts included.
   */
  public static CaddyProcess start(
      List<String> prefix, String adminListen, ObjectNode apps, boolean debugLog) {
    try {
      Path dir = Files.createTempDirectory("sb-caddy-");
      ObjectNode config = new ObjectMapper().createObjectNode();
      ObjectNode admin = config.putObject("admin");
      admin.put("listen", adminListen);
      admin.putObject("config").put("persist", false);
      if (debugLog) {
        config.putObject("logging").putObject("logs").putObject("default").put("level", "DEBUG");
      }
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
  /** GET {@code path} on the admin API; the body, or "" when it does not answer. */
  public String adminGet(String path) {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(
              HttpRequest.newBuilder(URI.create(adminUrl() + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

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

  /** The log file (read it streaming when it is large). */
  public Path logFile() {
    return dir.resolve("caddy.log");
  }

  /**
   * Config loads through the admin API since start (each is a full reload in 2.6.2): counted from
   * the INFO line "load complete" every load logs (the debug-only "servers shutting down" counted
   * nothing on a Caddy logging at INFO).
   */
  public long reloads() {
    try (Stream<String> lines = Files.lines(logFile())) {
      return lines.filter(l -> l.contains("\"msg\":\"load complete\"")).count();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  /**
   * Ids ({@link OpenLoad#ID_HEADER}) of the requests Caddy sent, at least once, to an upstream
   * whose dial address starts with {@code upstreamPrefix} (e.g. {@code "10.200.0."}): answered
   * there, failed there, or hung there until a timeout or a reload. Needs {@code debugLog}.
   */
  public java.util.Set<Long> requestsSentTo(String upstreamPrefix) {
    java.util.regex.Pattern id =
        java.util.regex.Pattern.compile("\"" + OpenLoad.ID_HEADER + "\":\\[\"(\\d+)\"");
    String upstream = "\"upstream\":\"" + upstreamPrefix;
    // Upstreams from Switchboard's resolver are dialled by name: 10.200.0.23 is
    // 10-200-0-23.ip.switchboard.internal.
    String byName = "\"upstream\":\"" + upstreamPrefix.replace('.', '-');
    java.util.Set<Long> ids = new java.util.HashSet<>();
    try (Stream<String> lines = Files.lines(logFile())) {
      lines
          .filter(
              l -> l.contains("upstream roundtrip") && (l.contains(upstream) || l.contains(byName)))
          .forEach(
              l -> {
                java.util.regex.Matcher m = id.matcher(l);
                if (m.find()) {
                  ids.add(Long.parseLong(m.group(1)));
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ids;
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
