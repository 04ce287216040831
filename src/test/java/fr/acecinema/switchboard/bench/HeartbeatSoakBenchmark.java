package fr.acecinema.switchboard.bench;

import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.testbed.HubOperator;
import fr.acecinema.switchboard.testbed.OpenLoad;
import fr.acecinema.switchboard.testbed.SiteDrill;
import fr.acecinema.switchboard.testbed.Testbed;
import fr.acecinema.switchboard.testbed.TestbedManifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * False-verdict soak (issue 8) on the multi-site testbed: the real operator on default manifests
 * (plain sites, {@code healthCheck: {path: /health}}, dijon weight 10, thory 1), every datagram
 * from either site to the hub held a random 20-80 ms ({@code testbed.sh delay}, a UDP relay in the
 * site's namespace: netem is not available), the machine's CPU saturated by busy loops started in
 * the hub's namespace, and an open load of 50 requests/s through Caddy for the whole run. Nothing
 * fails, so every verdict the operator reaches is false: counts {@code host ... is now DEAD
 * (heartbeat)}, {@code ... refuses connections (heartbeat)} and {@code ... is now Unhealthy} in the
 * operator's log, Sites and Backends seen {@code Ready=False} in the manifest files (polled every
 * 200 ms), failed requests and latency. Target: all 0. Exit code 0 when met, 1 otherwise.
 *
 * <p>Run as root from the repository root after {@code mvn -B -q package -DskipTests -DskipITs}
 * (the operator is the built jar); takes {@code minutes} + ~1 min:
 *
 * <pre>
 * java -cp target/test-classes:target/classes:$(cat target/test.classpath) \
 *     fr.acecinema.switchboard.bench.HeartbeatSoakBenchmark [minutes=10] [delay=20-80] [busy=3] [rate=50]
 * </pre>
 *
 * The operator's, Caddy's and the relays' logs are kept in {@code target/testbed-logs/}.
 */
public final class HeartbeatSoakBenchmark {
  private static final String HOST = "api.acecinema.fr";
  private static final String LISTEN = Testbed.HUB_ADDRESS + ":8080";
  private static final String URL = "http://" + LISTEN + "/soak";
  private static final String ADMIN = Testbed.HUB_ADDRESS + ":2119";
  private static final List<String> HUB = List.of("ip", "netns", "exec", Testbed.HUB);
  private static final List<String> SITES = List.of("dijon", "thory");

  /** Operator log lines that are verdicts; with nothing failing, each one is false. */
  private static final List<String> VERDICTS =
      List.of("is now DEAD (heartbeat)", "refuses connections (heartbeat)", "is now Unhealthy");

  private HeartbeatSoakBenchmark() {}

  public static void main(String[] args) throws Exception {
    int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    String[] delay = (args.length > 1 ? args[1] : "20-80").split("-");
    int minMs = Integer.parseInt(delay[0]);
    int maxMs = Integer.parseInt(delay[1]);
    int busy = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int rate = args.length > 3 ? Integer.parseInt(args[3]) : 50;
    if (minutes < 1 || minutes > 120 || minMs < 0 || maxMs < minMs || maxMs > 1000) {
      throw new IllegalArgumentException("want 1-120 minutes and a delay MIN-MAX within 0-1000");
    }
    if (busy < 0 || busy > 16 || rate < 1 || rate > 1000) {
      throw new IllegalArgumentException("want 0-16 busy processes and 1-1000 requests/s");
    }
    int exit;
    try (Run run = new Run(minutes, minMs, maxMs, busy, rate)) {
      exit = run.soak() ? 0 : 1;
    } catch (Exception | Error e) {
      e.printStackTrace();
      exit = 2;
    }
    System.exit(exit);
  }

  /** One soak; {@link #close()} stops everything it started, whatever state it got to. */
  private static final class Run implements AutoCloseable {
    private final int minutes;
    private final int minMs;
    private final int maxMs;
    private final int busyCount;
    private final int rate;
    private final OkHttpClient http = OpenLoad.client(Duration.ofSeconds(5));
    private final List<Process> busy = new ArrayList<>();
    private final ScheduledExecutorService watcher =
        Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().factory());
    // "Site/dijon" -> transitions to Ready=False seen in the files, with when and why
    private final Map<String, List<String>> notReady = new ConcurrentHashMap<>();
    private final Map<String, String> lastReady = new ConcurrentHashMap<>();
    private final AtomicInteger polls = new AtomicInteger();
    private final AtomicInteger unreadable = new AtomicInteger();
    private final List<String> loadSamples = new CopyOnWriteArrayList<>();
    private Testbed tb;
    private Path dir;
    private TestbedManifests manifests;
    private CaddyProcess caddy;
    private HubOperator operator;
    private OpenLoad load;
    private long soakStarted;

    Run(int minutes, int minMs, int maxMs, int busyCount, int rate) {
      this.minutes = minutes;
      this.minMs = minMs;
      this.maxMs = maxMs;
      this.busyCount = busyCount;
      this.rate = rate;
    }

    boolean soak() throws Exception {
      String loadBefore = Machine.loadavg();
      tb = Testbed.up();
      tb.startBackend("dijon", "10.200.0.23", 8080, "dijon-api");
      tb.startBackend("thory", "10.200.1.45", 8080, "thory-api");
      dir = Files.createTempDirectory("sb-soak-manifests-");
      manifests = new TestbedManifests(dir);
      manifests.write(
          "sites.yaml",
          TestbedManifests.plainSite("dijon", 0, 10),
          TestbedManifests.plainSite("thory", 1, 20));
      manifests.write(
          "api.yaml",
          TestbedManifests.service("api", HOST, "  healthCheck:\n    path: /health\n"),
          TestbedManifests.backend("dijon-api", "api", "dijon", "10.200.0.23", 10, ""),
          TestbedManifests.backend("thory-api", "api", "thory", "10.200.1.45", 1, ""));
      caddy = CaddyProcess.start(HUB, ADMIN, null, false);
      operator = HubOperator.start(dir, "http://" + ADMIN, LISTEN);
      require(
          "both backends Ready=True and dijon answering through Caddy",
          Duration.ofSeconds(90),
          () ->
              ready("api.yaml", "dijon-api")
                  && ready("api.yaml", "thory-api")
                  && "dijon-api".equals(get()));

      String before = latencies();
      for (String site : SITES) {
        tb.delay(site, minMs, maxMs);
      }
      // Repointing the endpoints may lose a datagram or two; let WireGuard settle before counting.
      require(
          "requests through Caddy answered again with the delay on",
          Duration.ofSeconds(30),
          () -> "dijon-api".equals(get()));
      sleep(Duration.ofSeconds(5));
      System.out.printf(
          "delay check, 20 sequential requests: before %s; with the delay %s (min wanted >= %d"
              + " ms)%n",
          before, latencies(), minMs);
      List<String> setUpLog = operator.log().lines().toList();
      int baseline = setUpLog.size();
      Map<String, Long> setUpVerdicts = verdicts(setUpLog);

      for (int i = 0; i < busyCount; i++) {
        List<String> cmd = new ArrayList<>(HUB);
        cmd.addAll(List.of("nice", "-n", "0", "sh", "-c", "while :; do :; done"));
        busy.add(
            new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start());
      }
      soakStarted = System.nanoTime();
      watcher.scheduleWithFixedDelay(this::pollReady, 0, 200, TimeUnit.MILLISECONDS);
      watcher.scheduleAtFixedRate(
          () -> loadSamples.add(Machine.loadavg()), 0, 10, TimeUnit.SECONDS);
      Duration length = Duration.ofMinutes(minutes);
      load = OpenLoad.start(http, URL, HOST, rate, length);
      long end = soakStarted + length.toNanos();
      while (System.nanoTime() < end) {
        sleep(Duration.ofMillis(Math.clamp((end - System.nanoTime()) / 1_000_000 + 1, 1, 30_000)));
        operator.assertAlive();
        List<OpenLoad.Sample> sofar = load.snapshot();
        System.out.printf(
            "%4d s: %d requests, %d failed, verdicts %s, not ready %s, load %s%n",
            (System.nanoTime() - soakStarted) / 1_000_000_000L,
            sofar.size(),
            sofar.stream().filter(OpenLoad.Sample::failed).count(),
            verdicts(soakLog(baseline)),
            counts(),
            Machine.loadavg());
      }
      List<OpenLoad.Sample> samples = load.stop(Duration.ofSeconds(10));
      long soakMillis = (System.nanoTime() - soakStarted) / 1_000_000;
      watcher.shutdownNow();
      String busyCpu = busyCpu(soakMillis);
      stopBusy();
      List<String> soakLog = soakLog(baseline);
      Map<String, Long> soakVerdicts = verdicts(soakLog);
      for (String site : SITES) {
        tb.undelay(site);
      }

      SiteDrill.Window w = SiteDrill.Window.of(samples);
      Map<String, Long> failures = new TreeMap<>();
      samples.stream()
          .filter(OpenLoad.Sample::failed)
          .forEach(s -> failures.merge(s.code() + " " + s.backend(), 1L, Long::sum));
      Map<String, Long> servedBy = new TreeMap<>();
      samples.stream()
          .filter(s -> !s.failed())
          .forEach(s -> servedBy.merge(s.backend(), 1L, Long::sum));
      long minLatency = samples.stream().mapToLong(OpenLoad.Sample::millis).min().orElse(-1);
      long verdictCount = soakVerdicts.values().stream().mapToLong(Long::longValue).sum();
      long notReadyCount = notReady.values().stream().mapToLong(List::size).sum();

      System.out.println();
      System.out.printf(
          "HeartbeatSoakBenchmark: %d min, site->hub delay %d-%d ms, %d busy loops in %s, %d req/s%n",
          minutes, minMs, maxMs, busyCount, Testbed.HUB, rate);
      System.out.printf("requests: %s, min %d ms; served by %s%n", w, minLatency, servedBy);
      failures.forEach((k, n) -> System.out.printf("  %d failed: %s%n", n, k));
      System.out.printf("operator verdicts during the soak: %s%n", soakVerdicts);
      soakLog.stream()
          .filter(l -> VERDICTS.stream().anyMatch(l::contains))
          .limit(20)
          .forEach(l -> System.out.println("  " + l));
      System.out.printf("operator verdicts during set-up (delay switched on): %s%n", setUpVerdicts);
      System.out.printf(
          "Ready=False seen in the files (%d polls, %d unreadable): %s%n",
          polls.get(), unreadable.get(), notReady.isEmpty() ? "none" : notReady);
      for (String site : SITES) {
        System.out.printf("relay %s: %s%n", site, Testbed.relayLog(site).replace('\n', ' '));
      }
      System.out.printf("busy loops: %s%n", busyCpu);
      System.out.printf(
          "machine: nproc %d, loadavg before %s, during (every 10 s) %s, after %s%n",
          Runtime.getRuntime().availableProcessors(), loadBefore, loadSamples, Machine.loadavg());
      boolean met = verdictCount == 0 && notReadyCount == 0 && w.failed() == 0;
      System.out.printf(
          "TARGET (0 false verdicts, 0 Ready=False, 0 failed): %s (%d verdicts, %d Ready=False,"
              + " %d failed)%n",
          met ? "met" : "MISSED", verdictCount, notReadyCount, w.failed());
      return met;
    }

    // --- observation

    private void pollReady() {
      polls.incrementAndGet();
      try {
        for (String site : SITES) {
          seen("Site/" + site, manifests.condition("sites.yaml", site, "Ready"));
        }
        for (String backend : List.of("dijon-api", "thory-api")) {
          seen("Backend/" + backend, manifests.condition("api.yaml", backend, "Ready"));
        }
      } catch (IOException | RuntimeException e) {
        unreadable.incrementAndGet();
      }
    }

    private void seen(String resource, String condition) {
      String before = lastReady.put(resource, condition);
      if (condition.startsWith("False") && !condition.equals(before)) {
        notReady
            .computeIfAbsent(resource, k -> new CopyOnWriteArrayList<>())
            .add(
                String.format(
                    "%s at %.1f s",
                    condition, (System.nanoTime() - soakStarted) / 1_000_000_000.0));
      }
    }

    private Map<String, Integer> counts() {
      Map<String, Integer> m = new TreeMap<>();
      notReady.forEach((k, v) -> m.put(k, v.size()));
      return m;
    }

    private static Map<String, Long> verdicts(List<String> lines) {
      Map<String, Long> m = new TreeMap<>();
      for (String v : VERDICTS) {
        m.put(v, lines.stream().filter(l -> l.contains(v)).count());
      }
      return m;
    }

    private List<String> soakLog(int baseline) {
      List<String> all = operator.log().lines().toList();
      return all.subList(Math.min(baseline, all.size()), all.size());
    }

    private boolean ready(String file, String resource) {
      try {
        return manifests.condition(file, resource, "Ready").startsWith("True");
      } catch (IOException | RuntimeException e) {
        return false;
      }
    }

    /** 20 sequential requests through Caddy: how many answered, min and median ms. */
    private String latencies() {
      List<Long> ms = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        long t0 = System.nanoTime();
        if (get() != null) {
          ms.add((System.nanoTime() - t0) / 1_000_000);
        }
      }
      ms.sort(null);
      return ms.isEmpty()
          ? "none answered"
          : String.format(
              "%d answered, min %d ms, median %d ms",
              ms.size(), ms.getFirst(), ms.get(ms.size() / 2));
    }

    /** One request through Caddy: the answering backend's name, or null. */
    private String get() {
      Request r = new Request.Builder().url(URL).header("Host", HOST).build();
      try (Response response = http.newCall(r).execute()) {
        return response.code() == 200 ? response.body().string().split("[ \\n]")[0] : null;
      } catch (IOException e) {
        return null;
      }
    }

    /** CPU each busy loop got, in % of one core over the soak (from /proc/PID/stat). */
    private String busyCpu(long soakMillis) {
      List<String> out = new ArrayList<>();
      for (Process p : busy) {
        try {
          String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
          out.add(String.format("%.0f%%", ticks * 10.0 * 100 / Math.max(1, soakMillis)));
        } catch (IOException | RuntimeException e) {
          out.add("?");
        }
      }
      return out + " of one core each (100 ticks/s assumed)";
    }

    private void stopBusy() {
      for (Process p : busy) {
        p.destroyForcibly();
      }
      for (Process p : busy) {
        try {
          p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      busy.clear();
    }

    private void keepLogs() {
      try {
        Path logs = Files.createDirectories(Path.of("target", "testbed-logs"));
        if (operator != null) {
          Files.writeString(logs.resolve("HeartbeatSoakBenchmark-operator.log"), operator.log());
        }
        if (caddy != null) {
          Files.copy(
              caddy.logFile(),
              logs.resolve("HeartbeatSoakBenchmark-caddy.log"),
              StandardCopyOption.REPLACE_EXISTING);
        }
        for (String site : SITES) {
          Files.writeString(
              logs.resolve("HeartbeatSoakBenchmark-relay-" + site + ".log"),
              Testbed.relayLog(site));
        }
      } catch (IOException | RuntimeException e) {
        System.err.println("could not keep the soak's logs: " + e);
      }
    }

    @Override
    public void close() {
      watcher.shutdownNow();
      if (load != null) {
        try {
          load.stop(Duration.ofSeconds(6));
        } catch (RuntimeException e) {
          System.err.println("requests still in flight at the end: " + e.getMessage());
        }
      }
      stopBusy();
      keepLogs();
      if (operator != null) {
        operator.close();
      }
      if (caddy != null) {
        caddy.close();
      }
      http.dispatcher().executorService().shutdownNow();
      http.connectionPool().evictAll();
      if (tb != null) {
        tb.close(); // testbed.sh down: relays, busy loops and backends die with their namespaces
      }
      if (dir != null) {
        try (var files = Files.walk(dir)) {
          files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
          // best effort: a temp dir left behind is harmless
        }
      }
    }
  }

  // --- helpers

  private static void require(String what, Duration within, BooleanSupplier condition) {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not within " + within + ": " + what);
      }
      sleep(Duration.ofMillis(200)); // polling other processes' progress
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
