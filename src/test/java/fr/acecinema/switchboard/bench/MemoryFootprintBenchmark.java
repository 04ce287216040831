package fr.acecinema.switchboard.bench;

import java.io.IOException;
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
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Resident memory of a real {@code sbctl run} ({@code target/switchboard.jar}, a process of its
 * own) probing N loopback backends every 2 s, with the JVM options {@code bin/sbctl} passes by
 * default ({@code default_java_opts} in bin/sbctl, the same as the image's) against none at all
 * (the JVM sizes its heap from the machine's RAM). Arms alternate (defaults, none, defaults, ...)
 * so both see the same machine load.
 *
 * <p>Per arm: {@code run --records=off --caddy-sync=off} on a temporary manifest directory (one
 * Site, 50 Services checking {@code /health} every 2 s (timeout 1 s), N Backends 20 to a file; the
 * backends are {@link ProbeBenchmark.Backends} in one child JVM on 127.0.1.1-10, shared by every
 * arm and not counted), wait for {@code /readyz} 200, a 20 s warm-up, then VmRSS from {@code
 * /proc/PID/status} every second for {@code seconds}; printed: median and max VmRSS over the
 * window, VmHWM (peak resident since start) and the process's CPU time over the window as % of one
 * core. Then SIGTERM (forcibly killed after 15 s). No database and no Caddy: the figure is the
 * JVM's alone (an embedded PostgreSQL would be a process of its own).
 *
 * <p>Run: {@code bin/bench memory-footprint [backends=1000] [seconds=60] [rounds=2]} (builds the
 * jar and the test classes when stale; docs/performance.md). Everything is bounded (backends
 * 1-5000, seconds 10-600, rounds 1-5; the child's own deadline) and removed afterwards.
 */
public final class MemoryFootprintBenchmark {
  private static final Duration WARM_UP = Duration.ofSeconds(20);
  private static final Pattern READY_TRUE = Pattern.compile("- type: Ready\\n\\s+status: \"True\"");
  private static final Path JAR = Path.of("target", "switchboard.jar");
  private static final Path LAUNCHER = Path.of("bin", "sbctl");

  private MemoryFootprintBenchmark() {}

  public static void main(String[] args) throws Exception {
    int backends = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    if (backends < 1 || backends > 5000 || seconds < 10 || seconds > 600 || rounds < 1) {
      throw new IllegalArgumentException("want 1-5000 backends, 10-600 seconds, 1-5 rounds");
    }
    if (rounds > 5 || !Files.isRegularFile(JAR)) {
      throw new IllegalArgumentException(
          "want 1-5 rounds and " + JAR + " (bin/bench memory-footprint builds it)");
    }
    List<String> defaults = launcherDefaults();
    System.out.println("launcher defaults (bin/sbctl): " + String.join(" ", defaults));
    Path dir = Files.createTempDirectory("switchboard-memory-bench");
    long perArm = WARM_UP.toSeconds() + seconds + 90;
    Process child = StatusLatencyBenchmark.startBackends(backends, perArm * 2 * rounds + 120);
    try {
      List<String[]> endpoints = StatusLatencyBenchmark.readEndpoints(child, backends);
      for (int r = 1; r <= rounds; r++) {
        measure("launcher defaults", defaults, dir, endpoints, seconds, r);
        measure("no JVM options", List.of(), dir, endpoints, seconds, r);
      }
    } finally {
      child.getOutputStream().close();
      child.destroy();
      if (!child.waitFor(10, TimeUnit.SECONDS)) {
        child.destroyForcibly();
      }
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The words of {@code default_java_opts="..."} in bin/sbctl. */
  static List<String> launcherDefaults() throws IOException {
    Matcher m =
        Pattern.compile("(?m)^default_java_opts=\"([^\"]*)\"$").matcher(Files.readString(LAUNCHER));
    if (!m.find()) {
      throw new IllegalStateException("no default_java_opts=\"...\" line in " + LAUNCHER);
    }
    return Arrays.asList(m.group(1).trim().split("\\s+"));
  }

  private static void measure(
      String arm, List<String> options, Path dir, List<String[]> endpoints, int seconds, int round)
      throws Exception {
    // Fresh manifests per arm: each starts from files without a status, as on a first start.
    Path manifests = Files.createTempDirectory(dir, "manifests");
    StatusLatencyBenchmark.writeFleet(manifests, endpoints, "2s");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path data = Files.createTempDirectory(dir, "data");
    Path log =
        dir.resolve("run-" + round + "-" + (options.isEmpty() ? "none" : "defaults") + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(options);
    command.addAll(
        List.of(
            "-jar",
            JAR.toAbsolutePath().toString(),
            "run",
            "--manifests=" + manifests,
            "--data-dir=" + data,
            "--listen=127.0.0.1:" + port,
            "--records=off",
            "--caddy-sync=off",
            "--shutdown-grace=0s"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    // Options only from the arm: nothing picked up from the environment either.
    List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")
        .forEach(pb.environment()::remove);
    Process run = pb.redirectOutput(log.toFile()).start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (readyz(http, port) != 200) {
        if (!run.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "sbctl run not ready within 60 s:\n" + Files.readString(log));
        }
        Thread.sleep(200);
      }
      Thread.sleep(WARM_UP);
      long cpu0 = cpuNanos(run);
      long t0 = System.nanoTime();
      long[] rss = new long[seconds];
      for (int i = 0; i < seconds; i++) {
        Thread.sleep(1000);
        rss[i] = statusKb(run.pid(), "VmRSS");
      }
      double cpu = 100.0 * (cpuNanos(run) - cpu0) / (System.nanoTime() - t0);
      int ready = 0;
      try (Stream<Path> files = Files.list(manifests)) {
        for (Path f :
            files.filter(p -> p.getFileName().toString().startsWith("backends-")).toList()) {
          ready += (int) READY_TRUE.matcher(Files.readString(f)).results().count();
        }
      }
      long hwm = statusKb(run.pid(), "VmHWM");
      if (ready < endpoints.size()) {
        System.out.println(
            "not all Ready; the start of backends-0.yaml:\n"
                + Files.readString(manifests.resolve("backends-0.yaml"))
                    .lines()
                    .limit(40)
                    .toList());
      }
      long[] sorted = rss.clone();
      Arrays.sort(sorted);
      System.out.printf(
          "round %d, %-17s (%s): VmRSS median %d MiB, max %d MiB, VmHWM %d MiB; CPU %.1f %% of"
              + " one core over %d s; %d/%d Backends Ready=True in their files%n",
          round,
          arm,
          options.isEmpty() ? "none" : String.join(" ", options),
          sorted[seconds / 2] / 1024,
          sorted[seconds - 1] / 1024,
          hwm / 1024,
          cpu,
          seconds,
          ready,
          endpoints.size());
    } finally {
      http.close();
      run.destroy();
      if (!run.waitFor(15, TimeUnit.SECONDS)) {
        run.destroyForcibly();
        run.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static int readyz(HttpClient http, int port) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** A {@code kB} line of /proc/PID/status, e.g. VmRSS. */
  private static long statusKb(long pid, String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no " + field + " in /proc/" + pid + "/status");
  }

  private static long cpuNanos(Process p) {
    return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }
}
