package fr.acecinema.switchboard.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A private Caddy for {@code sbctl demo}: admin API and routes on 127.0.0.1 ports of its own (never
 * the system Caddy's :2019 / :80), no automatic HTTPS, config and data in a temp directory removed
 * on close. Absent when no {@code caddy} binary is installed.
 */
final class DemoCaddy implements AutoCloseable {
  private final Process process;
  private final Path dir;
  final String adminUrl;
  final String listen;

  private DemoCaddy(Process process, Path dir, String adminUrl, String listen) {
    this.process = process;
    this.dir = dir;
    this.adminUrl = adminUrl;
    this.listen = listen;
  }

  /** The installed caddy binary, if any ({@code /usr/bin/caddy} or on the PATH). */
  static Optional<Path> binary() {
    Stream<Path> candidates =
        Stream.concat(
            Stream.of(Path.of("/usr/bin/caddy")),
            Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .filter(p -> !p.isBlank())
                .map(p -> Path.of(p, "caddy")));
    return candidates.filter(Files::isExecutable).findFirst();
  }

  /** Starts Caddy and waits (at most 10 s) until its admin API answers. */
  static DemoCaddy start(Path binary, OkHttpClient http) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("switchboard-demo-caddy-");
    String admin = "127.0.0.1:" + freePort();
    String listen = "127.0.0.1:" + freePort();
    Path config = dir.resolve("caddy.json");
    Files.writeString(
        config, "{\"admin\":{\"listen\":\"" + admin + "\",\"config\":{\"persist\":false}}}");
    ProcessBuilder pb =
        new ProcessBuilder(binary.toString(), "run", "--config", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("caddy.log").toFile());
    pb.environment().put("HOME", dir.toString());
    pb.environment().put("XDG_DATA_HOME", dir.toString());
    pb.environment().put("XDG_CONFIG_HOME", dir.toString());
    DemoCaddy caddy = new DemoCaddy(pb.start(), dir, "http://" + admin, listen);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    OkHttpClient quick = http.newBuilder().callTimeout(Duration.ofSeconds(1)).build();
    while (System.nanoTime() < deadline) {
      if (!caddy.process.isAlive()) {
        break;
      }
      try (Response r =
          quick.newCall(new Request.Builder().url(caddy.adminUrl + "/config/").build()).execute()) {
        if (r.code() == 200) {
          return caddy;
        }
      } catch (IOException notYet) {
        // still starting
      }
      Thread.sleep(100); // polling a child process's port; nothing to wait on
    }
    String log = caddy.log();
    caddy.close();
    throw new IOException("Caddy did not start; its log:\n" + log);
  }

  String log() {
    try {
      return Files.readString(dir.resolve("caddy.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temp directory
    }
  }
}
